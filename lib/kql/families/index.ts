import { huntingQueryId, type HuntingQuery } from '../huntingQuery';
import { NETSUPPORT_FAMILY } from '../../content/family';
import { netSupportBehaviourHunts } from './netsupport';
import type { BehaviourContext, BehaviourHunt } from './types';

/** Families with behaviour hunts of their own; every other family gets IOC hunts only. */
const BEHAVIOUR_HUNTS: Readonly<Record<string, readonly BehaviourHunt[]>> = {
  [NETSUPPORT_FAMILY]: netSupportBehaviourHunts,
};

export function behaviourHuntsFor(familyId: string, ctx: BehaviourContext): HuntingQuery[] {
  const hunts = (Object.hasOwn(BEHAVIOUR_HUNTS, familyId) ? BEHAVIOUR_HUNTS[familyId] : undefined) ?? [];
  return hunts.map((hunt) => ({
    id: huntingQueryId(familyId, `behaviour-${hunt.slug}`),
    family: familyId,
    ...hunt.build(ctx),
  }));
}
