import type { Settings } from '../config';
import { errorLine } from '../errors';
import { groupBy } from '../groupBy';
import type { Ioc } from '../ioc/types';
import type { Logger } from '../logger';
import { collect, type ThreatFoxPull } from '../collect';
import { checkIocs, isClaimCheck, type IocBatchMessage, type MessageEncoding } from '../queue/batchMessage';
import { prepareBatches } from '../queue/batchSender';
import { recordRunSafely, type RunStatus } from '../state/runHistory';
import { filterNewOrChanged } from '../state/seenIocs';
import type { AppStorage } from '../state/storage';
import { fullPullDue, getWatermark, pullWindow, setWatermark } from '../state/watermark';
import type { PullWindow } from '../threatfox/pullWindow';
import type { ThreatFoxSource } from '../threatfox/source';
import { sendBatches } from './handOff';

/** What the timer job uses: ThreatFox, the state table, batch container and upsert queue. */
export interface PullDeps {
  settings: Pick<Settings, 'threatfox' | 'allowlist'>;
  threatfox: ThreatFoxSource;
  storage: Pick<AppStorage, 'stateTable' | 'batchContainer' | 'iocQueue'>;
  logger: Logger;
  runId: string;
  now?: Date;
  /** host.json `extensions.queues.messageEncoding` (default base64), so the queue trigger reads what we send. */
  messageEncoding?: MessageEncoding;
  /** The configured workspaces' `landedKey`s: an IOC not yet landed in one of them is sent again. */
  landedKeys?: readonly string[];
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
  const now = deps.now ?? new Date();
  const startedAt = now.toISOString();
  const windows = await planWindows(deps, now);
  let tally: PullTally = { fetched: 0, rejected: 0, clipped: 0 };
  const messages: IocBatchMessage[] = [];
  const families: FamilyPull[] = [];
  for (const group of groupByWindow(windows)) {
    const pulled = await pullGroup(group, deps);
    if ('error' in pulled) {
      for (const family of group.families)
        families.push({ family, window: group.window, iocs: 0, fresh: 0, messages: 0, error: pulled.error });
      continue;
    }
    tally = plus(tally, pulled.tally);
    for (const family of group.families) {
      const sent = await sendFamily(family, group.window, pulled, deps, startedAt);
      families.push(sent.pull);
      messages.push(...sent.messages);
      tally = plus(tally, { fetched: 0, rejected: sent.refused, clipped: 0 });
    }
  }
  return finishPull({ families, messages, tally, startedAt }, deps);
}

interface PullTally {
  fetched: number;
  rejected: number;
  clipped: number;
}

function plus(a: PullTally, b: PullTally): PullTally {
  return { fetched: a.fetched + b.fetched, rejected: a.rejected + b.rejected, clipped: a.clipped + b.clipped };
}

/** Each family's window: the recent one its watermark asks for, or the daily full pull. */
async function planWindows(deps: PullDeps, now: Date): Promise<Map<string, PullWindow>> {
  const tf = deps.settings.threatfox;
  const table = deps.storage.stateTable;
  const windows = new Map<string, PullWindow>();
  for (const family of tf.malware) {
    const full = fullPullDue(await getWatermark(table, family, 'fullPull'), now);
    const window = full ? { mode: 'full' as const } : pullWindow(await getWatermark(table, family), now);
    // THREATFOX_DAYS is the least a recent pull looks back; missed runs widen it (up to 7 days).
    windows.set(family, window.mode === 'recent' ? { mode: 'recent', days: Math.max(window.days, tf.days) } : window);
  }
  return windows;
}

interface PulledGroup {
  byFamily: Map<string, Ioc[]>;
  /** Set when the pull rejected most of its records: the families fail and their watermarks stay. */
  alarm?: string;
  /** Families ThreatFox answered with that were not asked for (an alias resolved to its canonical id). */
  unmatched: string[];
  tally: PullTally;
}

/** One ThreatFox download for the families that share a window, or why it failed. */
async function pullGroup(group: WindowGroup, deps: PullDeps): Promise<PulledGroup | { error: string }> {
  const { settings, logger } = deps;
  const tf = settings.threatfox;
  const pull: ThreatFoxPull = {
    kind: 'threatfox',
    malware: group.families,
    mode: group.window.mode,
    days: group.window.mode === 'recent' ? group.window.days : tf.days,
    limit: tf.limit,
  };
  try {
    const collected = await collect(pull, deps.threatfox, settings.allowlist);
    const clipped = collected.clipped ?? [];
    for (const r of collected.rejected) logger.warn({ rejected: r }, 'ThreatFox record rejected');
    for (const c of clipped) logger.warn({ clipped: c }, 'ThreatFox record metadata bounded (IOC kept)');
    const alarm = collected.alarm;
    if (alarm)
      logger.error({ families: group.families, read: collected.read, rejected: collected.rejected.length }, alarm);
    const byFamily = groupBy(collected.iocs, (i) => i.malware ?? '');
    return {
      byFamily,
      alarm,
      unmatched: [...byFamily.keys()].filter((m) => !group.families.includes(m)),
      tally: { fetched: collected.read, rejected: collected.rejected.length, clipped: clipped.length },
    };
  } catch (e) {
    const error = errorLine(e);
    logger.error({ families: group.families, err: error }, 'ThreatFox pull failed');
    return { error };
  }
}

interface FamilySent {
  pull: FamilyPull;
  messages: IocBatchMessage[];
  /** IOCs the queue contract refused before enqueueing. */
  refused: number;
}

/**
 * Sends one family's new or changed IOCs to the queue, then moves its watermark (unless the pull
 * raised its alarm). A failure leaves the watermark, so the next run pulls the window again.
 */
async function sendFamily(
  family: string,
  window: PullWindow,
  pulled: PulledGroup,
  deps: PullDeps,
  startedAt: string,
): Promise<FamilySent> {
  const { storage, logger } = deps;
  const iocs = pulled.byFamily.get(family) ?? [];
  // malwareinfo also answers to an alias (`cobaltstrike`) with the canonical id (`win.cobalt_strike`):
  // those IOCs would match no configured family, so say which id to configure instead.
  if (window.mode === 'full' && iocs.length === 0 && pulled.unmatched.length > 0) {
    const error = `THREATFOX_MALWARE "${family}": ThreatFox answers with ${pulled.unmatched.map((m) => `"${m}"`).join(', ')}; configure that id`;
    logger.error({ family, answeredWith: pulled.unmatched }, error);
    return { pull: { family, window, iocs: 0, fresh: 0, messages: 0, error }, messages: [], refused: 0 };
  }
  let refused = 0;
  let batch: IocBatchMessage[] = [];
  let enqueued = 0;
  try {
    const fresh = await filterNewOrChanged(storage.stateTable, family, iocs, deps.landedKeys);
    // The producer's side of the queue contract: never send what the consumer would refuse.
    const checked = checkIocs(fresh);
    refused = checked.rejected.length;
    for (const r of checked.rejected) logger.warn({ family, reason: r.reason }, 'IOC refused before enqueueing');
    const prepared = await prepareBatches(storage.batchContainer, checked.iocs, { runId: deps.runId, family });
    await sendBatches(storage.iocQueue, prepared, deps.messageEncoding);
    batch = prepared;
    enqueued = checked.iocs.length;
    const pull: FamilyPull = { family, window, iocs: iocs.length, fresh: enqueued, messages: batch.length };
    if (pulled.alarm) return { pull: { ...pull, error: pulled.alarm }, messages: batch, refused };
    // Only now, with every message of the family accepted by the queue, may the watermark move.
    await setWatermark(storage.stateTable, family, startedAt);
    if (window.mode === 'full') await setWatermark(storage.stateTable, family, startedAt, 'fullPull');
    return { pull, messages: batch, refused };
  } catch (e) {
    const error = errorLine(e);
    logger.error(
      { family, err: error, messagesSent: batch.length },
      'enqueueing failed; the watermark stays, so the next run pulls this window again',
    );
    const pull = { family, window, iocs: iocs.length, fresh: enqueued, messages: batch.length, error };
    return { pull, messages: batch, refused };
  }
}

/** Records the run, logs its summary, and throws when every family failed. */
async function finishPull(
  run: { families: FamilyPull[]; messages: IocBatchMessage[]; tally: PullTally; startedAt: string },
  deps: PullDeps,
): Promise<PullResult> {
  const { families, messages, tally } = run;
  const failed = families.filter((f) => f.error);
  const status: RunStatus = failed.length === 0 ? 'succeeded' : failed.length < families.length ? 'partial' : 'failed';
  const errorText = failed.map((f) => `${f.family}: ${f.error}`).join('; ') || undefined;
  const counts = {
    fetched: tally.fetched,
    iocs: families.reduce((n, f) => n + f.iocs, 0),
    rejected: tally.rejected,
    clipped: tally.clipped,
    enqueued: families.reduce((n, f) => n + f.fresh, 0),
    claimChecks: messages.filter(isClaimCheck).length,
  };
  await recordRunSafely(deps.storage.stateTable, deps.logger, {
    runId: deps.runId,
    trigger: 'timer',
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    status,
    families: families.map((f) => f.family),
    counts,
    error: errorText,
  });
  deps.logger.info({ runId: deps.runId, status, messages: messages.length, ...counts, families }, 'pull finished');
  if (status === 'failed') throw new Error(`pull failed for every family: ${errorText}`);
  return { status, messages, families };
}

interface WindowGroup {
  window: PullWindow;
  families: string[];
}

function groupByWindow(windows: Map<string, PullWindow>): WindowGroup[] {
  const groups = new Map<string, WindowGroup>();
  for (const [family, window] of windows) {
    // malwareinfo is per family anyway; get_iocs serves every family of the same window at once.
    const key = window.mode === 'full' ? `full:${family}` : `recent:${window.days}`;
    const group = groups.get(key) ?? { window, families: [] };
    group.families.push(family);
    groups.set(key, group);
  }
  return [...groups.values()];
}
