import type { Settings } from '../config';
import { isSyncError } from '../errors';
import type { Logger } from '../logger';
import { collect } from '../pipeline';
import { prepareBatches, isClaimCheck, type IocBatchMessage } from '../queue/batches';
import { recordRun, type RunStatus } from '../state/runHistory';
import { filterNewOrChanged } from '../state/seenIocs';
import type { AppStorage } from '../state/storage';
import { getWatermark, pullWindow, setWatermark, type PullWindow } from '../state/watermark';
import type { ThreatFoxSource } from '../threatfox/client';

export interface PullDeps {
  settings: Settings;
  threatfox: ThreatFoxSource;
  storage: Pick<AppStorage, 'stateTable' | 'batchContainer'>;
  logger: Logger;
  runId: string;
  now?: Date;
}

export interface FamilyPull {
  family: string;
  window: PullWindow;
  fetched: number;
  iocs: number;
  rejected: number;
  /** New or changed since they last landed in Sentinel. */
  fresh: number;
  messages: number;
  error?: string;
}

export interface PullResult {
  status: RunStatus;
  messages: IocBatchMessage[];
  families: FamilyPull[];
}

/**
 * The timer's job: per family, pull the window its watermark asks for, keep what is new or changed
 * since it last landed, and turn it into queue messages. The watermark moves only for a family whose
 * pull succeeded. A family that fails does not stop the others; the run fails only if all do, because
 * a failed invocation writes no queue output at all.
 */
export async function runPull(deps: PullDeps): Promise<PullResult> {
  const { settings, storage, logger, runId } = deps;
  const now = deps.now ?? new Date();
  const startedAt = now.toISOString();
  const messages: IocBatchMessage[] = [];
  const families: FamilyPull[] = [];

  for (const family of settings.threatfox.malware) {
    const window = pullWindow(await getWatermark(storage.stateTable, family), now);
    try {
      const collected = await collect(
        {
          kind: 'threatfox',
          malware: [family],
          mode: window.mode,
          days: window.mode === 'recent' ? window.days : settings.threatfox.days,
          limit: settings.threatfox.limit,
        },
        deps.threatfox,
      );
      for (const r of collected.rejected) logger.warn({ family, rejected: r }, 'ThreatFox record rejected');
      const fresh = await filterNewOrChanged(storage.stateTable, family, collected.iocs);
      const batch = await prepareBatches(storage.batchContainer, fresh, { runId, family });
      messages.push(...batch);
      await setWatermark(storage.stateTable, family, startedAt);
      families.push({
        family,
        window,
        fetched: collected.read,
        iocs: collected.iocs.length,
        rejected: collected.rejected.length,
        fresh: fresh.length,
        messages: batch.length,
      });
    } catch (e) {
      // Bad settings are the operator's to fix: fail loudly rather than limp on.
      if (isSyncError(e) && e.code === 'CONFIG') throw e;
      const error = e instanceof Error ? e.message : String(e);
      logger.error({ family, err: error }, 'pull failed for family');
      families.push({ family, window, fetched: 0, iocs: 0, rejected: 0, fresh: 0, messages: 0, error });
    }
  }

  const failed = families.filter((f) => f.error);
  const status: RunStatus = failed.length === 0 ? 'succeeded' : failed.length < families.length ? 'partial' : 'failed';
  const sum = (k: 'fetched' | 'iocs' | 'rejected' | 'fresh') => families.reduce((n, f) => n + f[k], 0);
  const counts = {
    fetched: sum('fetched'),
    iocs: sum('iocs'),
    rejected: sum('rejected'),
    enqueued: sum('fresh'),
    claimChecks: messages.filter(isClaimCheck).length,
  };
  await recordRun(storage.stateTable, {
    runId,
    trigger: 'timer',
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    families: families.map((f) => f.family),
    counts,
    error: failed.map((f) => `${f.family}: ${f.error}`).join('; ') || undefined,
  });
  logger.info({ runId, status, messages: messages.length, ...counts, families }, 'pull finished');
  if (status === 'failed') throw new Error(`ThreatFox pull failed for every family: ${failed.map((f) => `${f.family}: ${f.error}`).join('; ')}`);
  return { status, messages, families };
}
