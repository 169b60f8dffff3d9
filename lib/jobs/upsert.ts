import type { Settings } from '../config';
import { SyncError, isSyncError } from '../errors';
import type { Logger } from '../logger';
import { withRunDeadline } from '../net/deadline';
import { publish } from '../pipeline';
import { publishToWorkspaces, type SentinelDestination } from '../sentinel/workspaceSync';
import { workspaceRunRecords } from '../state/workspaceRuns';
import {
  deleteClaimCheck,
  isClaimCheckGone,
  parkedItemMessages,
  parseBatchMessage,
  resolveBatch,
} from '../queue/batches';
import { IOC_POISON_QUEUE } from '../queue/constants';
import { recordRunSafely, type RunCounts, type RunRecord } from '../state/runHistory';
import { markLanded } from '../state/seenIocs';
import type { AppStorage } from '../state/storage';

export interface UpsertDeps {
  settings: Settings;
  /** One workspace's stores or every configured workspace's. */
  stores: SentinelDestination;
  storage: Pick<AppStorage, 'stateTable' | 'batchContainer' | 'poisonQueue'>;
  logger: Logger;
  /** Identifies this delivery in run history (the queue message id). */
  runId: string;
  dequeueCount?: number;
  maxDequeueCount?: number;
  now?: Date;
  /** host.json `extensions.queues.messageEncoding`, so a parked message reads back like the host's own (default base64). */
  messageEncoding?: 'base64' | 'none';
}

export type UpsertOutcome = 'landed' | 'already-done' | 'parked';

/**
 * The queue function's job: upsert one batch, then make sure its family's saved searches exist
 * (they read the indicators from ThreatIntelIndicators, so a new batch rarely changes them). Transient failures throw, so the host retries the message (a retry writes only what
 * is still missing) and parks it in the poison queue after maxDequeueCount. A message that can never
 * succeed (malformed) is parked at once instead of being retried for nothing.
 */
export async function runUpsert(raw: unknown, deps: UpsertDeps): Promise<UpsertOutcome> {
  const { storage, logger, settings } = deps;
  const startedAt = (deps.now ?? new Date()).toISOString();
  let message;
  try {
    message = parseBatchMessage(raw);
  } catch (e) {
    if (!isSyncError(e)) throw e;
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
    await storage.poisonQueue.sendMessage(
      (deps.messageEncoding ?? 'base64') === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text,
    );
    logger.error(
      { runId: deps.runId, err: e.message, queue: IOC_POISON_QUEUE },
      'malformed batch message parked in the poison queue',
    );
    return 'parked';
  }

  let iocs;
  let rejected;
  try {
    ({ iocs, rejected } = await resolveBatch(message, storage.batchContainer));
  } catch (e) {
    if (isClaimCheckGone(e)) {
      logger.warn(
        { runId: message.runId, blob: e.blobName },
        'batch already processed (claim-check blob gone); nothing to do',
      );
      return 'already-done';
    }
    throw e;
  }
  // A bad item is parked alone, with its reason; the rest of the batch still lands.
  for (const r of rejected)
    logger.error(
      { runId: message.runId, index: r.index, reason: r.reason, queue: IOC_POISON_QUEUE },
      'invalid IOC in batch parked',
    );
  for (const text of parkedItemMessages(message, rejected)) {
    await storage.poisonQueue.sendMessage(
      (deps.messageEncoding ?? 'base64') === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text,
    );
  }

  const s = settings.sentinel;
  // No lock: the saved searches do not depend on the batch, and a duplicate indicator left by two
  // batches creating the same observable at once is merged and deleted by the next run.
  // The run's deadline stays below the host's functionTimeout: what did not finish fails, and the message is retried.
  const result = await withRunDeadline({ seconds: s.runDeadlineSeconds }, () =>
    publishToWorkspaces(
      deps.stores,
      (one, concurrency) =>
        publish(iocs, one, {
          source: s.source,
          ttlDays: s.ttlDays,
          huntingLookback: s.huntingLookback,
          concurrency: concurrency ?? s.concurrency,
          now: deps.now,
          logger,
        }),
      { perSubscription: s.workspacesPerSubscription, logger },
    ),
  );
  const counts: RunCounts = {
    iocs: iocs.length,
    rejected: rejected.length,
    indicatorsCreated: result.indicators.created,
    indicatorsUpdated: result.indicators.updated,
    indicatorsUnchanged: result.indicators.unchanged,
    indicatorsDeleted: result.indicators.deleted,
    indicatorsFailed: result.indicators.failed,
    queriesCreated: result.huntingQueries.created,
    queriesUpdated: result.huntingQueries.updated,
    queriesUnchanged: result.huntingQueries.unchanged,
    queriesDeleted: result.huntingQueries.deleted,
    queriesFailed: result.huntingQueries.failed,
  };
  const failed = result.failures.length > 0;
  const summary = failed
    ? `${result.failures.length} writes failed, first: ${result.failures[0].kind} ${result.failures[0].key}: ${result.failures[0].error}`
    : undefined;
  const run: RunRecord = {
    // The run that queued the batch (timer or HTTP), then this delivery: both can be looked up.
    runId: `${message.runId}:${deps.runId}`,
    trigger: 'queue',
    startedAt,
    finishedAt: new Date().toISOString(),
    status: failed ? 'partial' : 'succeeded',
    families: [message.family],
    counts,
    error: summary,
  };
  for (const row of [run, ...workspaceRunRecords(run, result.workspaces)])
    await recordRunSafely(storage.stateTable, logger, row);
  logger.info({ runId: deps.runId, batchRun: message.runId, family: message.family, ...counts }, 'batch upserted');

  if (failed) {
    const last = deps.maxDequeueCount !== undefined && (deps.dequeueCount ?? 1) >= deps.maxDequeueCount;
    for (const f of result.failures) logger.error({ failure: f }, 'write failed');
    logger.error(
      { runId: deps.runId, dequeueCount: deps.dequeueCount, queue: last ? IOC_POISON_QUEUE : undefined },
      last
        ? 'batch failed for the last time; the host parks it in the poison queue'
        : 'batch failed; the host will retry it',
    );
    throw new SyncError('AZURE', summary!);
  }
  // Only now is the batch known to be in Sentinel: the next pull skips it unless it changes.
  await markLanded(storage.stateTable, message.family, iocs);
  await deleteClaimCheck(message, storage.batchContainer);
  return 'landed';
}
