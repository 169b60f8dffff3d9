import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { inputError, SyncError } from '../errors';
import type { Ioc } from '../ioc/types';
import { statusOf } from '../net/status';
import {
  checkIocs,
  DEFAULT_MAX_MESSAGE_BYTES,
  describeIssues,
  inlineEnvelopeSchema,
  isClaimCheck,
  type IocBatchMessage,
  type RejectedItem,
} from './batchMessage';

/**
 * The consumer's side (the queue function): a message's IOCs, inline or from its claim-check
 * blob; the poison messages that park refused items; the blob dropped after a successful run.
 */

/** The claim-check blob of a message is gone: deleted after a successful run, or expired. */
export class ClaimCheckGoneError extends SyncError {
  constructor(readonly blobName: string) {
    super('INPUT', `Claim-check blob "${blobName}" no longer exists (already processed and deleted, or expired)`);
    this.name = 'ClaimCheckGoneError';
  }
}

export const isClaimCheckGone = (e: unknown): e is ClaimCheckGoneError => e instanceof ClaimCheckGoneError;

/**
 * The IOCs of a message, inline or from its blob, and the items refused. The blob must live in
 * `container` (a message does not get to choose where we read from) and must hold the same run,
 * family and count.
 */
export async function resolveBatch(
  message: IocBatchMessage & { rejected?: RejectedItem[] },
  container: ContainerClient,
): Promise<{ iocs: Ioc[]; rejected: RejectedItem[] }> {
  if (!isClaimCheck(message)) {
    // A message that did not come through parseBatchMessage is checked here.
    return message.rejected ? { iocs: message.iocs, rejected: message.rejected } : checkIocs(message.iocs);
  }
  const { blob } = message;
  if (blob.container !== container.containerName) {
    throw inputError(`Claim-check blob is in container "${blob.container}", expected "${container.containerName}"`);
  }
  let text: string;
  try {
    text = (await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('utf8');
  } catch (e) {
    if (statusOf(e) === 404) throw new ClaimCheckGoneError(blob.name);
    throw e;
  }
  let stored: z.output<typeof inlineEnvelopeSchema>;
  try {
    stored = inlineEnvelopeSchema.parse(JSON.parse(text));
  } catch (e) {
    const detail = e instanceof z.ZodError ? describeIssues(e) : 'not JSON';
    throw inputError(`Claim-check blob "${blob.name}" is invalid: ${detail}`);
  }
  if (stored.runId !== message.runId || stored.family !== message.family || stored.iocs.length !== blob.count) {
    throw inputError(
      `Claim-check blob "${blob.name}" does not match its message (run ${stored.runId}/${message.runId}, family ${stored.family}/${message.family}, count ${stored.iocs.length}/${blob.count})`,
    );
  }
  return checkIocs(stored.iocs);
}

/** Parked items are for a human to read (and replay once fixed); an item too big to park whole is shown in part. */
const PARKED_ITEM_CHARS = 4000;

/**
 * The poison-queue messages that park a batch's refused items: `{version, runId, family, iocs,
 * rejected: [{index, reason}]}`, in as many messages as the size budget needs. Same envelope as a
 * batch, so a fixed message can be replayed onto the IOC queue.
 */
export function parkedItemMessages(
  message: Pick<IocBatchMessage, 'runId' | 'family'>,
  rejected: readonly RejectedItem[],
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): string[] {
  const out: string[] = [];
  let items: unknown[] = [];
  let reasons: { index: number; reason: string }[] = [];
  const text = () =>
    JSON.stringify({ version: 1, runId: message.runId, family: message.family, iocs: items, rejected: reasons });
  for (const r of rejected) {
    const json = JSON.stringify(r.item) ?? 'undefined';
    const item =
      json.length > PARKED_ITEM_CHARS
        ? { partialJson: json.slice(0, PARKED_ITEM_CHARS), totalChars: json.length }
        : r.item;
    const reason = { index: r.index, reason: r.reason.slice(0, PARKED_ITEM_CHARS) };
    items.push(item);
    reasons.push(reason);
    if (items.length > 1 && Buffer.byteLength(text(), 'utf8') > maxBytes) {
      items.pop();
      reasons.pop();
      out.push(text());
      items = [item];
      reasons = [reason];
    }
  }
  if (items.length > 0) out.push(text());
  return out;
}

/** After a successful upsert: drop the blob (a no-op for inline messages or a blob already gone). */
export async function deleteClaimCheck(message: IocBatchMessage, container: ContainerClient): Promise<void> {
  if (!isClaimCheck(message) || message.blob.container !== container.containerName) return;
  await container.getBlockBlobClient(message.blob.name).deleteIfExists();
}
