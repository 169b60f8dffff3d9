import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { inputError, SyncError } from '../errors';
import { iocSchema } from '../ioc/schema';
import type { Ioc } from '../ioc/types';
import { statusOf } from '../net/status';

/**
 * The message contract between the timer (pullThreatFox) and the queue function (upsertToSentinel).
 *
 * A message carries its IOCs inline, or — claim-check — names a blob that holds them:
 *   { version: 1, runId, family, iocs: Ioc[] }
 *   { version: 1, runId, family, blob: { container, name, count } }
 *
 * Size budget. A Storage queue message holds at most 64 KiB of (encoded) text. We send base64, as
 * the queue trigger decodes by default (host.json `extensions.queues.messageEncoding`), which
 * turns every 3 bytes into 4 characters, so 64 KiB of queue text is 48 KiB of UTF-8 JSON. We plan
 * against 44 KiB of JSON: base64 of that is 60 KiB, leaving headroom for a future field, and it is
 * well inside the limit with `messageEncoding: none` as well.
 *
 * Claim-check rule. Every queue message costs the consumer a fixed price (it reads our indicators
 * once and rewrites the family's hunting queries), so a big run should be a few big batches, not
 * many small ones:
 * - a run that fits in at most `maxInlineMessages` (default 4) messages goes inline;
 * - a larger run is cut into chunks of `iocsPerBlob` (default 1000, ThreatFox's page size) IOCs,
 *   and each chunk that does not fit a message is written to a blob;
 * - any chunk over the budget (e.g. one enormous IOC) goes through a blob too.
 * The blob holds the inline form of the message, so the consumer validates both the same way.
 */

export const QUEUE_MESSAGE_LIMIT_BYTES = 64 * 1024;
export const DEFAULT_MAX_MESSAGE_BYTES = 44 * 1024;
export const DEFAULT_MAX_INLINE_MESSAGES = 4;
export const DEFAULT_IOCS_PER_BLOB = 1000;

const runIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected 1-128 letters, digits, ".", "_", ":" or "-"');
const familySchema = z
  .string()
  .min(1)
  .max(200)

  .regex(/^[^\u0000-\u001f\u007f-\u009f]+$/, 'control characters are not allowed');

const containerNameSchema = z
  .string()
  .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'expected a blob container name');
const blobNameSchema = z
  .string()
  .max(1024)
  .regex(/^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'expected a blob name of letters, digits and . _ : / -');

const envelope = {
  version: z.literal(1),
  runId: runIdSchema,
  family: familySchema,
};

export const MAX_IOCS_PER_MESSAGE = 100_000;

/** The producer's contract: every IOC valid. */
export const inlineBatchSchema = z.object({ ...envelope, iocs: z.array(iocSchema).max(MAX_IOCS_PER_MESSAGE) });

/**
 * What the consumer checks as a whole: the envelope. Each IOC is checked on its own (see
 * `checkIocs`), so one bad item is parked with its reason and the rest of the batch still lands.
 */
const inlineEnvelopeSchema = z.object({ ...envelope, iocs: z.array(z.unknown()).max(MAX_IOCS_PER_MESSAGE) });
export const claimCheckBatchSchema = z.object({
  ...envelope,
  blob: z.object({ container: containerNameSchema, name: blobNameSchema, count: z.number().int().min(0) }),
});

export type InlineBatchMessage = z.output<typeof inlineBatchSchema>;
export type ClaimCheckBatchMessage = z.output<typeof claimCheckBatchSchema>;
export type IocBatchMessage = InlineBatchMessage | ClaimCheckBatchMessage;

export const isClaimCheck = (m: IocBatchMessage): m is ClaimCheckBatchMessage => 'blob' in m;

/** An item of a batch that is not a valid IOC: where it was, what it was, and why it was refused. */
export interface RejectedItem {
  index: number;
  item: unknown;
  reason: string;
}

/** A message as the consumer received it: the valid IOCs, and the items it refused. */
export type ParsedBatchMessage = IocBatchMessage & { rejected: RejectedItem[] };

/**
 * Splits items into valid IOCs and refused ones, each with the reason. The producer runs it before
 * sending (so it never sends what the consumer would refuse) and the consumer after receiving.
 */
export function checkIocs(items: readonly unknown[]): { iocs: Ioc[]; rejected: RejectedItem[] } {
  const iocs: Ioc[] = [];
  const rejected: RejectedItem[] = [];
  items.forEach((item, index) => {
    const parsed = iocSchema.safeParse(item);
    if (parsed.success) iocs.push(parsed.data);
    else
      rejected.push({
        index,
        item,
        reason: parsed.error.issues.map((i) => `${fieldPath(['iocs', index, ...i.path])}: ${i.message}`).join('; '),
      });
  });
  return { iocs, rejected };
}

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

/** What the queue actually counts for this message, before any base64. */
export const messageBytes = (message: IocBatchMessage): number => Buffer.byteLength(JSON.stringify(message), 'utf8');

/** host.json `extensions.queues.messageEncoding`: how the queue trigger expects message text. */
export type MessageEncoding = 'base64' | 'none';

/** Any text as the queue trigger reads it back (base64 of its UTF-8 by default). */
export function encodeQueueText(text: string, encoding: MessageEncoding = 'base64'): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

/** The queue text for a batch message. */
export function toQueueText(message: IocBatchMessage, encoding: MessageEncoding = 'base64'): string {
  return encodeQueueText(JSON.stringify(message), encoding);
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

/** `iocs[3].type`, `blob.name`, `(message)`. */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(message)';
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`).join('; ');
}

/**
 * Validates what the queue trigger hands over (an object, or JSON text when the host did not parse
 * it). A bad envelope throws SyncError('INPUT') naming every bad field: such a message will never
 * succeed, so the consumer parks it. A bad IOC inside a good envelope does not: it comes back in
 * `rejected` with its reason, and the others go on.
 */
export function parseBatchMessage(input: unknown): ParsedBatchMessage {
  let value = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      value = JSON.parse(input.toString());
    } catch {
      throw inputError('Batch message is not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inputError('Batch message must be a JSON object');
  }
  const hasIocs = 'iocs' in value;
  const hasBlob = 'blob' in value;
  if (hasIocs === hasBlob) {
    throw inputError('Batch message must have exactly one of "iocs" (inline) or "blob" (claim-check)');
  }
  if (hasBlob) {
    const parsed = claimCheckBatchSchema.safeParse(value);
    if (!parsed.success) throw inputError(`Batch message is invalid: ${describeIssues(parsed.error)}`);
    return { ...parsed.data, rejected: [] };
  }
  const parsed = inlineEnvelopeSchema.safeParse(value);
  if (!parsed.success) throw inputError(`Batch message is invalid: ${describeIssues(parsed.error)}`);
  const { iocs, rejected } = checkIocs(parsed.data.iocs);
  return { ...parsed.data, iocs, rejected };
}

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
