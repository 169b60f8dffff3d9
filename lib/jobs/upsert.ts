import type { Settings } from '../config';
import { SyncError, isSyncError } from '../errors';
import { withHuntedHost } from '../ioc/urlHost';
import type { Logger } from '../logger';
import { publishWithinDeadline } from '../sentinel/publish';
import type { WorkspaceStores } from '../sentinel/stores';
import type { MultiPublishResult } from '../sentinel/workspaceSync';
import { failureLine, workspaceRunRecords, writeRunCounts } from '../state/workspaceRuns';
import { type IocBatchMessage, encodeQueueText, type MessageEncoding, parseBatchMessage } from '../queue/batchMessage';
import { deleteClaimCheck, isClaimCheckGone, parkedItemMessages, resolveBatch } from '../queue/batchReceiver';
import { IOC_POISON_QUEUE } from '../names';
import { recordRunSafely, type RunRecord } from '../state/runHistory';
import { landedAndValid, landedKey, markLanded, seenRowKey } from '../state/seenIocs';
import { workspaceResourceId } from '../workspaceRef';
import type { AppStorage } from '../state/storage';

/**
 * What the queue job uses: the Sentinel settings, the tenant allow-list (to decide the hunted host
 * of URLs in a message the previous version wrote), the stores, the state table, batch container and poison queue.
 */
export interface UpsertDeps {
  settings: Pick<Settings, 'sentinel' | 'allowlist'>;
  /** Every configured workspace's stores. */
  stores: readonly WorkspaceStores[];
  storage: Pick<AppStorage, 'stateTable' | 'batchContainer' | 'poisonQueue'>;
  logger: Logger;
  /** Identifies this delivery in run history (the queue message id). */
  runId: string;
  dequeueCount?: number;
  maxDequeueCount?: number;
  now?: Date;
  /** host.json `extensions.queues.messageEncoding`, so a parked message reads back like the host's own (default base64). */
  messageEncoding?: MessageEncoding;
}

export type UpsertOutcome = 'landed' | 'already-done' | 'parked';

/**
 * The queue function's job: upsert one batch, then make sure its family's saved searches exist
 * (they read the indicators from ThreatIntelIndicators, so a new batch rarely changes them). Transient failures throw, so the host retries the message (a retry writes only what
 * is still missing) and parks it in the poison queue after maxDequeueCount. A message that can never
 * succeed (malformed) is parked at once instead of being retried for nothing.
 */
export async function runUpsert(raw: unknown, deps: UpsertDeps): Promise<UpsertOutcome> {
  const startedAt = (deps.now ?? new Date()).toISOString();
  const message = await parseOrPark(raw, deps);
  if (!message) return 'parked';
  const batch = await resolveOrSkip(message, deps);
  if (!batch) return 'already-done';
  // A bad item is parked alone, with its reason; the rest of the batch still lands.
  await parkRejectedItems(message, batch.rejected, deps);

  // A message the previous version wrote carries no hunted hosts: decided here as normalising does.
  const iocs = batch.iocs.map((ioc) => withHuntedHost(ioc, deps.settings.allowlist));
  const result = await publishBatch(iocs, message.family, deps);
  const run = upsertRunRecord(message, batch, result, startedAt, deps.runId);
  for (const row of [run, ...workspaceRunRecords(run, result.workspaces)])
    await recordRunSafely(deps.storage.stateTable, deps.logger, row);
  deps.logger.info(
    { runId: deps.runId, batchRun: message.runId, family: message.family, ...run.counts },
    'batch upserted',
  );
  if (result.failures.length > 0) failBatch(result.failures, deps);
  // Only now is the batch known to be in Sentinel: the next pull skips it unless it changes.
  await markLanded(
    deps.storage.stateTable,
    message.family,
    batch.iocs,
    deps.settings.sentinel.ttlDays,
    destinationIds(deps.stores).map((id) => landedKey(id, deps.settings.sentinel.source)),
  );
  await deleteClaimCheck(message, deps.storage.batchContainer);
  return 'landed';
}

/** A message as the host reads it back from the poison queue. */
/** The batch message, or undefined once a malformed one is parked (a retry could never succeed). */
async function parseOrPark(raw: unknown, deps: UpsertDeps): Promise<IocBatchMessage | undefined> {
  try {
    return parseBatchMessage(raw);
  } catch (e) {
    if (!isSyncError(e)) throw e;
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
    await deps.storage.poisonQueue.sendMessage(encodeQueueText(text, deps.messageEncoding));
    deps.logger.error(
      { runId: deps.runId, err: e.message, queue: IOC_POISON_QUEUE },
      'malformed batch message parked in the poison queue',
    );
    return undefined;
  }
}

type ResolvedBatch = Awaited<ReturnType<typeof resolveBatch>>;

/** The batch's IOCs, or undefined when an earlier delivery already landed it (its claim-check blob is gone). */
async function resolveOrSkip(message: IocBatchMessage, deps: UpsertDeps): Promise<ResolvedBatch | undefined> {
  try {
    return await resolveBatch(message, deps.storage.batchContainer);
  } catch (e) {
    if (!isClaimCheckGone(e)) throw e;
    deps.logger.warn(
      { runId: message.runId, blob: e.blobName },
      'batch already processed (claim-check blob gone); nothing to do',
    );
    return undefined;
  }
}

async function parkRejectedItems(
  message: IocBatchMessage,
  rejected: ResolvedBatch['rejected'],
  deps: UpsertDeps,
): Promise<void> {
  for (const r of rejected)
    deps.logger.error(
      { runId: message.runId, index: r.index, reason: r.reason, queue: IOC_POISON_QUEUE },
      'invalid IOC in batch parked',
    );
  for (const text of parkedItemMessages(message, rejected))
    await deps.storage.poisonQueue.sendMessage(encodeQueueText(text, deps.messageEncoding));
}

/** Writes the batch to every workspace, within the run's deadline. */
async function publishBatch(
  iocs: ResolvedBatch['iocs'],
  family: string,
  deps: UpsertDeps,
): Promise<MultiPublishResult> {
  // What landed in a workspace before and is still valid: one of those that workspace no longer
  // lists was deleted there by an analyst. A workspace it never landed in gets it.
  const landed = await landedAndValid(deps.storage.stateTable, family, iocs, deps.now ?? new Date());
  const source = deps.settings.sentinel.source;
  // No lock: the saved searches do not depend on the batch, and a duplicate indicator left by two
  // batches creating the same observable at once is merged and deleted by the next run.
  // The run's deadline stays below the host's functionTimeout: what did not finish fails, and the message is retried.
  return publishWithinDeadline(iocs, deps.stores, deps.settings, {
    now: deps.now,
    logger: deps.logger,
    landedBefore: (workspaceId) => {
      const key = landedKey(workspaceId, source);
      return (ioc) => landed.get(seenRowKey(ioc))?.has(key) ?? false;
    },
  });
}

/** The resource ids of the destination's workspaces, as publish names them. */
function destinationIds(stores: readonly WorkspaceStores[]): string[] {
  return stores.map((one) => workspaceResourceId(one.workspace));
}

function upsertRunRecord(
  message: IocBatchMessage,
  batch: ResolvedBatch,
  result: MultiPublishResult,
  startedAt: string,
  deliveryId: string,
): RunRecord {
  return {
    // The run that queued the batch (timer or HTTP), then this delivery: both can be looked up.
    runId: `${message.runId}:${deliveryId}`,
    trigger: 'queue',
    startedAt,
    finishedAt: new Date().toISOString(),
    status: result.failures.length > 0 ? 'partial' : 'succeeded',
    families: [message.family],
    counts: { iocs: batch.iocs.length, rejected: batch.rejected.length, ...writeRunCounts(result) },
    error: failureLine(result.failures),
  };
}

/** Some writes failed: throw, so the host retries the message (and parks it after maxDequeueCount). */
function failBatch(failures: MultiPublishResult['failures'], deps: UpsertDeps): never {
  const last = deps.maxDequeueCount !== undefined && (deps.dequeueCount ?? 1) >= deps.maxDequeueCount;
  for (const f of failures) deps.logger.error({ failure: f }, 'write failed');
  deps.logger.error(
    { runId: deps.runId, dequeueCount: deps.dequeueCount, queue: last ? IOC_POISON_QUEUE : undefined },
    last
      ? 'batch failed for the last time; the host parks it in the poison queue'
      : 'batch failed; the host will retry it',
  );
  throw new SyncError('AZURE', failureLine(failures) ?? 'writes failed');
}
