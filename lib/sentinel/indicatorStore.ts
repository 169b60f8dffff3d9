import type { ThreatIntelligenceIndicatorModel, ThreatIntelligenceInformationUnion } from '@azure/arm-securityinsight';
import type { SentinelTarget } from '../config';
import type { Logger } from '../logger';

/** An indicator as Sentinel holds it: its service-assigned name and its (flattened) properties. */
export interface StoredIndicator {
  name: string;
  properties: ThreatIntelligenceIndicatorModel;
}

/** What a create answers: the indicator made, and whether another may have been made before it. */
export interface CreatedIndicator extends StoredIndicator {
  /**
   * An earlier attempt of this create was answered 5xx or cut off, then retried: it may have
   * taken effect too, leaving a second indicator for the observable (a ghost). Absent when every
   * attempt before the one answered was refused outright (429, 4xx) or there was none.
   */
  afterDoubtfulAttempt?: boolean;
}

/** How a listing is read. */
export interface ListOptions {
  /**
   * Cross-check that the listing is complete against the service's own count of the source's
   * indicators (one threat-intelligence metrics request; see `checkedQuery`). The writer asks it
   * of its first read in a run, the read everything it creates or deletes is planned from.
   */
  checkComplete?: boolean;
  /** Where doubts that are not errors go (metrics unavailable or behind). */
  logger?: Logger;
  /**
   * Called when the listing could not be vouched for (metrics unavailable, or counting more than
   * two agreeing listings): not an error, but a short read is not ruled out, so the writer reads
   * back after creating, whatever its creates answered.
   */
  onUnvouched?: () => void;
}

/** The threat-intelligence indicators of one workspace, as the writer needs them. */
export interface IndicatorStore {
  /** Every indicator whose `source` is `source`, all pages. */
  listBySource(source: string, options?: ListOptions): AsyncIterable<StoredIndicator>;
  /** Creates an indicator; the service assigns its name. Not idempotent (see `afterDoubtfulAttempt`). */
  create(body: ThreatIntelligenceIndicatorModel): Promise<CreatedIndicator>;
  /** Replaces an existing indicator. */
  update(name: string, body: ThreatIntelligenceIndicatorModel): Promise<StoredIndicator>;
  remove(name: string): Promise<void>;
}

/** The workspace a store reads and writes. */
export type WorkspaceTarget = Pick<SentinelTarget, 'resourceGroup' | 'workspaceName'>;

export function isIndicator(item: ThreatIntelligenceInformationUnion): item is ThreatIntelligenceIndicatorModel {
  return item.kind === 'indicator';
}

export function stored(item: ThreatIntelligenceInformationUnion): StoredIndicator {
  if (!item.name || !isIndicator(item))
    throw new Error(`unexpected threat-intelligence object ${JSON.stringify(item.id ?? item.name)}`);
  return { name: item.name, properties: item };
}
