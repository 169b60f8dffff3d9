import type { Settings } from '../config';
import { errorMessage } from '../errors';
import { groupBy } from '../groupBy';
import type { Ioc } from '../ioc/types';
import type { Logger } from '../logger';
import { collect, type ThreatFoxPull } from '../pipeline';
import { checkIocs, isClaimCheck, prepareBatches, type IocBatchMessage } from '../queue/batches';
import { recordRunSafely, type RunStatus } from '../state/runHistory';
import { filterNewOrChanged } from '../state/seenIocs';
import type { AppStorage } from '../state/storage';
import { fullPullDue, getWatermark, pullWindow, setWatermark, type PullWindow } from '../state/watermark';
import type { ThreatFoxSource } from '../threatfox/client';
import { sendBatches, type MessageEncoding } from './handOff';

export interface PullDeps {
  settings: Settings;
  threatfox: ThreatFoxSource;
  storage: Pick<AppStorage, 'stateTable' | 'batchContainer' | 'iocQueue'>;
  logger: Logger;
  runId: string;
  now?: Date;
  /** host.json `extensions.queues.messageEncoding` (default base64), so the queue trigger reads what we send. */
  messageEncoding?: MessageEncoding;
}

export interface FamilyPull {
  family: string;
  window: PullWindow;
  iocs: number;
  /** New or changed since they last landed in Sentinel. */
  fresh: number;
  /** Messages sent to the queue (each accepted by Storage before the watermark moved). */
  messages: number;
  error?: string;
}

export interface PullResult {
  status: RunStatus;
  /** What was sent to the upsert queue. */
  messages: IocBatchMessage[];
  families: FamilyPull[];
}

/**
 * The timer's job: per family, pull what its watermark asks for (the recent window, or the daily
 * full pull), keep what is new or changed since it last landed in Sentinel, send it to the upsert
 * queue, and only then move the family's watermark. Families that share a recent window share one
 * `get_iocs` download.
 *
 * Nothing is lost if a step fails: the watermark moves only after Storage accepted every message
 * of the family, so a run that dies before (or while) enqueueing pulls the same window again next
 * tick; and an IOC counts as handled only once the queue function has landed it, so the next full
 * pull (at most a day later) sends again whatever did not land. A family that fails does not stop
 * the others; the run throws when every family failed, so the invocation shows as failed. A pull
 * that rejects most of its records (ThreatFox changed its format?) is a failure of those families:
 * the valid IOCs still go out, the watermark stays, and the warning names the count and reasons.
 */
export async function runPull(deps: PullDeps): Promise<PullResult> {
  const { settings, storage, logger, runId } = deps;
  const now = deps.now ?? new Date();
  const startedAt = now.toISOString();
  const tf = settings.threatfox;

  const windows = new Map<string, PullWindow>();
  for (const family of tf.malware) {
    const full = fullPullDue(await getWatermark(storage.stateTable, family, 'fullPull'), now);
    const window = full ? { mode: 'full' as const } : pullWindow(await getWatermark(storage.stateTable, family), now);
    // THREATFOX_DAYS is the least a recent pull looks back; missed runs widen it (up to 7 days).
    windows.set(family, window.mode === 'recent' ? { mode: 'recent', days: Math.max(window.days, tf.days) } : window);
  }

  const messages: IocBatchMessage[] = [];
  const families: FamilyPull[] = [];
  let fetched = 0;
  let rejected = 0;
  let clipped = 0;
  for (const group of groupByWindow(windows)) {
    const pull: ThreatFoxPull = {
      kind: 'threatfox',
      malware: group.families,
      mode: group.window.mode,
      days: group.window.mode === 'recent' ? group.window.days : tf.days,
      limit: tf.limit,
    };
    let byFamily: Map<string, Ioc[]>;
    let alarm: string | undefined;
    try {
      const collected = await collect(pull, deps.threatfox, settings.allowlist);
      fetched += collected.read;
      rejected += collected.rejected.length;
      clipped += collected.clipped?.length ?? 0;
      for (const r of collected.rejected) logger.warn({ rejected: r }, 'ThreatFox record rejected');
      for (const c of collected.clipped ?? [])
        logger.warn({ clipped: c }, 'ThreatFox record metadata bounded (IOC kept)');
      alarm = collected.alarm;
      if (alarm)
        logger.error({ families: group.families, read: collected.read, rejected: collected.rejected.length }, alarm);
      byFamily = groupBy(collected.iocs, (i) => i.malware ?? '');
    } catch (e) {
      const error = errorMessage(e);
      logger.error({ families: group.families, err: error }, 'ThreatFox pull failed');
      for (const family of group.families)
        families.push({ family, window: group.window, iocs: 0, fresh: 0, messages: 0, error });
      continue;
    }
    // malwareinfo also answers to an alias (`cobaltstrike`) with the canonical id (`win.cobalt_strike`):
    // those IOCs would match no configured family, so say which id to configure instead.
    const unmatched = [...byFamily.keys()].filter((m) => !group.families.includes(m));
    for (const family of group.families) {
      const iocs = byFamily.get(family) ?? [];
      if (group.window.mode === 'full' && iocs.length === 0 && unmatched.length > 0) {
        const error = `THREATFOX_MALWARE "${family}": ThreatFox answers with ${unmatched.map((m) => `"${m}"`).join(', ')}; configure that id`;
        logger.error({ family, answeredWith: unmatched }, error);
        families.push({ family, window: group.window, iocs: 0, fresh: 0, messages: 0, error });
        continue;
      }
      let sent = 0;
      let enqueued = 0;
      try {
        const fresh = await filterNewOrChanged(storage.stateTable, family, iocs);
        // The producer's side of the queue contract: never send what the consumer would refuse.
        const checked = checkIocs(fresh);
        rejected += checked.rejected.length;
        for (const r of checked.rejected) logger.warn({ family, reason: r.reason }, 'IOC refused before enqueueing');
        const batch = await prepareBatches(storage.batchContainer, checked.iocs, { runId, family });
        await sendBatches(storage.iocQueue, batch, deps.messageEncoding);
        messages.push(...batch);
        sent = batch.length;
        enqueued = checked.iocs.length;
        if (alarm) {
          families.push({
            family,
            window: group.window,
            iocs: iocs.length,
            fresh: enqueued,
            messages: sent,
            error: alarm,
          });
          continue;
        }
        // Only now, with every message of the family accepted by the queue, may the watermark move.
        await setWatermark(storage.stateTable, family, startedAt);
        if (group.window.mode === 'full') await setWatermark(storage.stateTable, family, startedAt, 'fullPull');
        families.push({ family, window: group.window, iocs: iocs.length, fresh: enqueued, messages: sent });
      } catch (e) {
        const error = errorMessage(e);
        logger.error(
          { family, err: error, messagesSent: sent },
          'enqueueing failed; the watermark stays, so the next run pulls this window again',
        );
        families.push({ family, window: group.window, iocs: iocs.length, fresh: enqueued, messages: sent, error });
      }
    }
  }

  const failed = families.filter((f) => f.error);
  const status: RunStatus = failed.length === 0 ? 'succeeded' : failed.length < families.length ? 'partial' : 'failed';
  const errorText = failed.map((f) => `${f.family}: ${f.error}`).join('; ') || undefined;
  const counts = {
    fetched,
    iocs: families.reduce((n, f) => n + f.iocs, 0),
    rejected,
    clipped,
    enqueued: families.reduce((n, f) => n + f.fresh, 0),
    claimChecks: messages.filter(isClaimCheck).length,
  };
  await recordRunSafely(storage.stateTable, logger, {
    runId,
    trigger: 'timer',
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    families: families.map((f) => f.family),
    counts,
    error: errorText,
  });
  logger.info({ runId, status, messages: messages.length, ...counts, families }, 'pull finished');
  if (status === 'failed') throw new Error(`pull failed for every family: ${errorText}`);
  return { status, messages, families };
}

function groupByWindow(windows: Map<string, PullWindow>): { window: PullWindow; families: string[] }[] {
  const groups = new Map<string, { window: PullWindow; families: string[] }>();
  for (const [family, window] of windows) {
    // malwareinfo is per family anyway; get_iocs serves every family of the same window at once.
    const key = window.mode === 'full' ? `full:${family}` : `recent:${window.days}`;
    const group = groups.get(key) ?? { window, families: [] };
    group.families.push(family);
    groups.set(key, group);
  }
  return [...groups.values()];
}
