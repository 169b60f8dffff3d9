import type { Ioc } from '../ioc/types';
import type { Logger } from '../logger';
import type { IndicatorFacts } from './indicatorFacts';
import type { StoredIndicator } from './indicatorStore';
import { observableKey } from './stix';

/**
 * An analyst's deletion stands: an observable none of whose indicators is listed, though one of its
 * IOCs landed in this workspace before and would still be valid, was deleted there by someone else.
 * It is taken out of `wanted` (counted unchanged: nothing written) and logged at info with the count
 * (`keptOut`; the publish step adds the workspace). Returns how many were kept out.
 */
export function keepDeletedOut(
  wanted: Map<string, IndicatorFacts>,
  ours: ReadonlyMap<string, StoredIndicator[]>,
  iocs: readonly Ioc[],
  landedBefore: ((ioc: Ioc) => boolean) | undefined,
  logger: Logger,
): number {
  if (!landedBefore) return 0;
  const deleted = new Set(iocs.filter((i) => !ours.has(observableKey(i)) && landedBefore(i)).map(observableKey));
  for (const key of deleted) wanted.delete(key);
  if (deleted.size > 0)
    logger.info(
      { keptOut: deleted.size },
      'not re-created: deleted in this workspace after they landed there (an analyst decision)',
    );
  return deleted.size;
}
