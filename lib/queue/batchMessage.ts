import { z } from 'zod';
import { inputError } from '../errors';
import { iocSchema } from '../ioc/schema';
import type { Ioc } from '../ioc/types';

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

export const runIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected 1-128 letters, digits, ".", "_", ":" or "-"');
export const familySchema = z
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
export const inlineEnvelopeSchema = z.object({ ...envelope, iocs: z.array(z.unknown()).max(MAX_IOCS_PER_MESSAGE) });
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

/** `iocs[3].type`, `blob.name`, `(message)`. */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(message)';
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

export function describeIssues(error: z.ZodError): string {
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
