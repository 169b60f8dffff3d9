import { errorLine } from '../errors';
import type { SentinelSettings } from '../config';
import { silentLogger, type Logger } from '../logger';
import { withRunDeadline } from '../net/deadline';
import { LookupBudget, type IocLookupSource } from '../threatfox/lookup';
import { workspaceLabel, workspaceResourceId } from '../workspaceRef';
import { removeQueriesOfRemovedFamilies } from './familyCleanup';
import { addReconcileCounts, reconcileIndicators, zeroReconcileCounts, type ReconcileCounts } from './reconcile';
import type { WorkspaceStores } from './stores';
import type { MultiPublishResult } from './workspaceSync';
import { type ItemFailure } from './writeCounts';

/**
 * The indicator lifecycle after a run's writes (docs/reliability.md, "The indicator lifecycle"):
 * on a full run, the hunting queries of families no longer configured are removed
 * (familyCleanup.ts); when asked, our indicators are reconciled with ThreatFox (reconcile.ts).
 * Every workspace in turn, under the run's deadline; one failing is listed and the others go on.
 */

export interface LifecycleRequest {
  /**
   * A full run's THREATFOX_MALWARE: our hunting queries (our INDICATOR_SOURCE's `source` tag) of any
   * other family are removed, when the setting was set explicitly (`familyCleanup`). Absent: none are.
   */
  configuredFamilies?: readonly string[];
  /** Reconcile with ThreatFox: where to look up, how many look-ups, and until when (epoch ms). */
  reconcile?: { source: IocLookupSource; budget: number; deadlineAt?: number };
}

export interface LifecycleResult {
  /** Present when the run reconciled. */
  reconcile?: ReconcileCounts;
  /** Hunting queries removed, by family (summed over workspaces). */
  huntingQueriesRemoved: Record<string, number>;
  failures: ItemFailure[];
}

export interface LifecycleRun {
  now: Date;
  logger?: Logger;
  /** Epoch ms the run started: the deadline counts from there. */
  startedAt?: number;
  /** Workspaces (`resourceGroup/name`) the run's write already found failing as a whole: not tried again. */
  skipWorkspaces?: ReadonlySet<string>;
}

function addRemoved(total: Record<string, number>, more: Record<string, number>): void {
  for (const [family, n] of Object.entries(more)) total[family] = (total[family] ?? 0) + n;
}

/** Runs what `request` asks of every workspace of `destination`. */
export function runLifecycle(
  destination: readonly WorkspaceStores[],
  request: LifecycleRequest,
  sentinel: Pick<SentinelSettings, 'source' | 'runDeadlineSeconds' | 'familyCleanup'>,
  run: LifecycleRun,
): Promise<LifecycleResult> {
  const logger = run.logger ?? silentLogger;
  const configuredFamilies = sentinel.familyCleanup ? request.configuredFamilies : undefined;
  if (request.configuredFamilies && !configuredFamilies)
    logger.info('THREATFOX_MALWARE is not set (the built-in default is used): no hunting queries are removed');
  const startedAt = run.startedAt ?? Date.now();
  const deadlineAt = Math.min(
    request.reconcile?.deadlineAt ?? Infinity,
    startedAt + sentinel.runDeadlineSeconds * 1000,
  );
  // One budget for the run: an id several workspaces hold is asked once.
  const lookups = request.reconcile
    ? new LookupBudget(request.reconcile.source, { budget: request.reconcile.budget, deadlineAt })
    : undefined;
  return withRunDeadline({ seconds: sentinel.runDeadlineSeconds, startedAt }, async () => {
    const result: LifecycleResult = { huntingQueriesRemoved: {}, failures: [] };
    if (lookups) result.reconcile = zeroReconcileCounts();
    for (const stores of destination) {
      const label = workspaceLabel(stores.workspace);
      if (run.skipWorkspaces?.has(label)) continue;
      try {
        if (configuredFamilies) {
          const cleaned = await removeQueriesOfRemovedFamilies(
            stores.savedSearches,
            configuredFamilies,
            sentinel.source,
            logger,
          );
          addRemoved(result.huntingQueriesRemoved, cleaned.removed);
          result.failures.push(...cleaned.failures.map((f) => ({ ...f, workspace: label })));
        }
        if (lookups && result.reconcile) {
          const done = await reconcileIndicators(stores.indicators, {
            source: sentinel.source,
            lookups,
            now: run.now,
            logger,
          });
          result.reconcile = addReconcileCounts(result.reconcile, done.counts);
          result.failures.push(...done.failures.map((f) => ({ ...f, workspace: label })));
        }
      } catch (e) {
        const error = errorLine(e);
        logger.error({ workspace: label, error }, 'lifecycle step failed for a workspace; the others carry on');
        result.failures.push({
          kind: 'workspace',
          key: workspaceResourceId(stores.workspace),
          error,
          workspace: label,
        });
      }
    }
    logger.info(
      { reconcile: result.reconcile, huntingQueriesRemoved: result.huntingQueriesRemoved, lookups: lookups?.used },
      'lifecycle finished',
    );
    return result;
  });
}

/**
 * The lifecycle step after a run's write, when there was one and the run asked for it; a workspace
 * the write found failing as a whole is not tried again. `summary` is what RunSummary shows.
 */
export async function lifecycleAfterWrite(
  published: MultiPublishResult | undefined,
  request: LifecycleRequest | undefined,
  run: LifecycleRun & {
    stores?: readonly WorkspaceStores[];
    sentinel: Pick<SentinelSettings, 'source' | 'runDeadlineSeconds' | 'familyCleanup'>;
  },
): Promise<(LifecycleResult & { summary: Omit<LifecycleResult, 'failures'> }) | undefined> {
  if (!published || !request || !run.stores) return undefined;
  const skipWorkspaces = new Set(published.workspaces.filter((w) => w.status === 'failed').map((w) => w.workspace));
  const done = await runLifecycle(run.stores, request, run.sentinel, { ...run, skipWorkspaces });
  return { ...done, summary: { reconcile: done.reconcile, huntingQueriesRemoved: done.huntingQueriesRemoved } };
}

/** "hunting queries removed for win.x: 15", one line per family (summary, report). */
export function removedLines(removed: Record<string, number>): string[] {
  return Object.entries(removed)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([family, n]) => `hunting queries removed for ${family}: ${n}`);
}
