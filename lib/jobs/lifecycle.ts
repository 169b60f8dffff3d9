import type { Settings } from '../config';
import { errorLine } from '../errors';
import type { Logger } from '../logger';
import { runLifecycle, type LifecycleResult } from '../sentinel/lifecycle';
import type { WorkspaceStores } from '../sentinel/stores';
import { lifecycleRunCounts } from '../state/lifecycleRuns';
import { recordRunSafely, type RunStatus } from '../state/runHistory';
import { failureLine } from '../state/workspaceRuns';
import type { AppStorage } from '../state/storage';
import { fullPullDue, getWatermark, setWatermark } from '../state/watermark';
import type { IocLookupSource } from '../threatfox/lookup';
import type { PullResult } from './pull';

/** What the timer's lifecycle step uses: ThreatFox look-ups, every workspace, and the run history. */
export interface LifecycleDeps {
  settings: Pick<Settings, 'threatfox' | 'sentinel'>;
  lookup: () => IocLookupSource;
  sentinel: () => readonly WorkspaceStores[];
  storage: Pick<AppStorage, 'stateTable'>;
  logger: Logger;
  runId: string;
  now?: Date;
  /** When the timer tick began (epoch ms): the run deadline counts from there, pull included. */
  tickStartedAt?: number;
}

/**
 * The lifecycle step's own daily mark, beside the families' full-pull watermarks: families keep
 * their own full-pull days (one added later, one whose full pull failed), so the step keeps one of
 * its own and spends THREATFOX_RECONCILE_BUDGET once a day, not once per family. A leading `_`
 * never names a ThreatFox family (MALWARE_ID).
 */
export const LIFECYCLE_MARK = '_lifecycle';

/**
 * The timer's share of the indicator lifecycle, run by the timer job itself after a tick that
 * did a daily full pull, at most once a day (its own mark, LIFECYCLE_MARK): our hunting queries of families no longer
 * in THREATFOX_MALWARE are removed, and our indicators are reconciled with ThreatFox within
 * THREATFOX_RECONCILE_BUDGET. The pull's batches are already on the queue; nothing here waits for
 * them. Recorded as its own run-history row (`<runId>/lifecycle`); a failure is logged and recorded,
 * never thrown: the pull it follows has already succeeded.
 */
export async function runDailyLifecycle(pull: PullResult, deps: LifecycleDeps): Promise<LifecycleResult | undefined> {
  if (!pull.families.some((f) => f.window.mode === 'full' && !f.error)) return undefined;
  const now = deps.now ?? new Date();
  if (!fullPullDue(await getWatermark(deps.storage.stateTable, LIFECYCLE_MARK, 'fullPull'), now)) return undefined;
  const startedAt = now.toISOString();
  let result: LifecycleResult | undefined;
  let error: string | undefined;
  try {
    result = await runLifecycle(
      deps.sentinel(),
      {
        configuredFamilies: deps.settings.threatfox.malware,
        reconcile: { source: deps.lookup(), budget: deps.settings.threatfox.reconcileBudget },
      },
      deps.settings.sentinel,
      { now, logger: deps.logger, startedAt: deps.tickStartedAt ?? Date.now() },
    );
    error = failureLine(result.failures);
  } catch (e) {
    error = errorLine(e);
    deps.logger.error({ runId: deps.runId, err: error }, 'lifecycle step failed');
  }
  const status: RunStatus = !result ? 'failed' : error ? 'partial' : 'succeeded';
  await recordRunSafely(deps.storage.stateTable, deps.logger, {
    runId: `${deps.runId}/lifecycle`,
    trigger: 'timer',
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    families: [...deps.settings.threatfox.malware],
    counts: lifecycleRunCounts(result),
    error,
  });
  // A step that ran (even in part) counts as today's; one that failed outright is tried on the next full pull.
  if (result) await setWatermark(deps.storage.stateTable, LIFECYCLE_MARK, startedAt, 'fullPull');
  return result;
}
