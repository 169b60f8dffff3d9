import type { HuntingQuery } from '../huntingQuery';

export interface BehaviourContext {
  familyName: string;
  /** A validated KQL timespan (HUNTING_LOOKBACK). */
  lookback: string;
}

/** A hunt for what a family does rather than where it lives: the same text whatever the IOCs. */
export interface BehaviourHunt {
  /** Part of the saved-search id: `<family>-behaviour-<slug>`. */
  slug: string;
  table: string;
  build(ctx: BehaviourContext): Omit<HuntingQuery, 'id' | 'family'>;
}
