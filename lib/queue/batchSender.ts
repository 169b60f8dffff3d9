import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { Ioc } from '../ioc/types';
import {
  DEFAULT_IOCS_PER_BLOB,
  DEFAULT_MAX_INLINE_MESSAGES,
  DEFAULT_MAX_MESSAGE_BYTES,
  familySchema,
  inlineBatchSchema,
  messageBytes,
  runIdSchema,
  type ClaimCheckBatchMessage,
  type InlineBatchMessage,
  type IocBatchMessage,
} from './batchMessage';

/**
 * The producer's side (the timer): cuts a family's IOCs into messages within the size budget, and
 * writes the claim-check blobs for the ones that do not fit (the rule: lib/queue/batchMessage.ts).
 */

export interface PlanBatchesOptions {
  runId: string;
  family: string;
  /** JSON bytes one queue message may hold (default 44 KiB; see above). */
  maxMessageBytes?: number;
  /** Above this many inline messages, a run switches to claim-check chunks. */
  maxInlineMessages?: number;
  /** IOCs per claim-check chunk. */
  iocsPerBlob?: number;
}

/** True when this message must go through a blob. */
export const needsClaimCheck = (message: IocBatchMessage, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): boolean =>
  messageBytes(message) > maxMessageBytes;

/**
 * Splits one family's IOCs into inline messages, in order, each IOC exactly once. Pure: messages
 * that come back over the budget (see `needsClaimCheck`) are for `writeClaimCheck`;
 * `prepareBatches` does both.
 */
export function planBatches(iocs: Ioc[], options: PlanBatchesOptions): InlineBatchMessage[] {
  const { runId, family } = options;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxInline = options.maxInlineMessages ?? DEFAULT_MAX_INLINE_MESSAGES;
  const perBlob = options.iocsPerBlob ?? DEFAULT_IOCS_PER_BLOB;
  if (!(maxBytes > 0 && maxInline >= 1 && perBlob >= 1)) throw new RangeError('planBatches: sizes must be positive');
  runIdSchema.parse(runId);
  familySchema.parse(family);
  if (iocs.length === 0) return [];

  const message = (chunk: Ioc[]): InlineBatchMessage => ({ version: 1, runId, family, iocs: chunk });
  // `{"version":1,...,"iocs":[]}` plus, per IOC, its JSON and a separating comma.
  const overhead = messageBytes(message([]));
  const chunks: Ioc[][] = [];
  let current: Ioc[] = [];
  let size = overhead;
  for (const ioc of iocs) {
    const bytes = Buffer.byteLength(JSON.stringify(ioc), 'utf8');
    const comma = current.length > 0 ? 1 : 0;
    if (current.length > 0 && size + comma + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = overhead;
    }
    size += (current.length > 0 ? 1 : 0) + bytes;
    current.push(ioc);
  }
  chunks.push(current);

  if (chunks.length <= maxInline) return chunks.map(message);
  const big: InlineBatchMessage[] = [];
  for (let i = 0; i < iocs.length; i += perBlob) big.push(message(iocs.slice(i, i + perBlob)));
  return big;
}

/** Blob names stay readable and safe whatever the family id holds. */
const blobSafe = (s: string) =>
  s
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^\./, '_');

/**
 * Writes the message's IOCs to a blob and returns the message that points at it. The name is
 * derived from run, family and the IOCs, so a retried timer run overwrites rather than piles up.
 */
export async function writeClaimCheck(
  container: ContainerClient,
  message: InlineBatchMessage,
): Promise<ClaimCheckBatchMessage> {
  const body = JSON.stringify(inlineBatchSchema.parse(message));
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const name = `${blobSafe(message.runId)}/${blobSafe(message.family)}/${digest}.json`;
  await container.createIfNotExists();
  await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body, 'utf8'), {
    blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
  });
  return {
    version: 1,
    runId: message.runId,
    family: message.family,
    blob: { container: container.containerName, name, count: message.iocs.length },
  };
}

/**
 * The timer's one call: plans the family's IOCs and writes the claim-check blobs the plan needs.
 * Every message returned serialises to at most `maxMessageBytes` of JSON.
 */
export async function prepareBatches(
  container: ContainerClient,
  iocs: Ioc[],
  options: PlanBatchesOptions,
): Promise<IocBatchMessage[]> {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const out: IocBatchMessage[] = [];
  for (const message of planBatches(iocs, options)) {
    out.push(needsClaimCheck(message, maxBytes) ? await writeClaimCheck(container, message) : message);
  }
  return out;
}
