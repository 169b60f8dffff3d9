import type { SecurityInsights } from '@azure/arm-securityinsight';
import { hadDoubtfulAttempt } from '../net/doubtfulAttemptPolicy';
import { stored, type IndicatorStore, type WorkspaceTarget } from './indicatorStore';
import { checkedQuery } from './listingWitness';

/** A million indicators at 100 a page: far beyond any one source of ours. */
export const MAX_QUERY_PAGES = 10_000;
/**
 * How far apart two of the service's clocks (ARM's `Date` header, the threat-intelligence back
 * end's timestamps) may be: a time is taken as "after the listing began" only past this margin.
 */
export const CLOCK_ALLOWANCE_MS = 15_000;

/**
 * The indicator store over `@azure/arm-securityinsight`
 * (`…/providers/Microsoft.SecurityInsights/threatIntelligence/main/…`).
 */
export function armIndicatorStore(
  client: SecurityInsights,
  target: WorkspaceTarget,
  {
    maxPages = MAX_QUERY_PAGES,
    clockAllowanceMs = CLOCK_ALLOWANCE_MS,
  }: { maxPages?: number; clockAllowanceMs?: number } = {},
): IndicatorStore {
  const ti = client.threatIntelligenceIndicator;
  const { resourceGroup, workspaceName } = target;
  return {
    listBySource: (source, list = {}) =>
      checkedQuery(client, target, source, { maxPages, allowanceMs: clockAllowanceMs, list }),
    async create(body) {
      let doubtful = false;
      const created = await ti.createIndicator(resourceGroup, workspaceName, body, {
        onResponse: (raw) => (doubtful = hadDoubtfulAttempt(raw.request)),
      });
      return { ...stored(created), ...(doubtful ? { afterDoubtfulAttempt: true } : {}) };
    },
    async update(name, body) {
      return stored(await ti.create(resourceGroup, workspaceName, name, body));
    },
    async remove(name) {
      await ti.delete(resourceGroup, workspaceName, name);
    },
  };
}
