import { z } from 'zod';
import { IOC_LIMITS } from '../ioc/schema';
import type { Rejected } from '../ioc/types';
import { clip, hasLoneSurrogate, wellFormed } from '../text/clip';

/** ThreatFox's timestamp format: `2026-06-20 13:36:27 UTC`. */
const THREATFOX_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/;

const threatFoxTime = z
  .string()
  .regex(THREATFOX_TIME, 'expected "YYYY-MM-DD HH:MM:SS UTC"')
  .transform((v, ctx) => {
    const [, d, t] = THREATFOX_TIME.exec(v)!;
    const iso = `${d}T${t}Z`;
    // Date.parse rolls "02-30" over to March and accepts "24:00:00": only a round trip proves the date is real.
    const ms = Date.parse(iso);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== `${d}T${t}`) {
      ctx.addIssue({ code: 'custom', message: `not a real date: ${v}` });
      return z.NEVER;
    }
    return iso;
  });

/** The IOC types ThreatFox publishes; we express the first six as indicators. */
export const THREATFOX_IOC_TYPES = [
  'ip:port',
  'domain',
  'url',
  'md5_hash',
  'sha1_hash',
  'sha256_hash',
  'sha3_384_hash',
  'envelope_from',
  'body_from',
] as const;

const nullableText = z
  .string()
  .nullish()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

/** ThreatFox malware ids are short ASCII; the family names queue messages, blobs and state rows. */
const malwareId = z
  .string()
  .trim()
  .min(1)
  .max(IOC_LIMITS.malware, `longer than ${IOC_LIMITS.malware} characters`)

  .regex(/^[^\u0000-\u001f\u007f-\u009f]+$/, 'control characters are not allowed')
  .refine((v) => !hasLoneSurrogate(v), 'contains a lone UTF-16 surrogate');

/** A numeric id, as ThreatFox sends it (string or number); a number past 2^53 has lost digits already. */
const recordId = z.union([
  z.string().trim().regex(/^\d+$/, 'expected a numeric id'),
  z
    .number()
    .nonnegative()
    .refine(Number.isInteger, 'expected a whole number') // not .int(): zod's int() also refuses what is past 2^53
    .transform((n) => (Number.isSafeInteger(n) ? String(n) : BigInt(n).toString())),
]);

/** What a record looks like on the wire, before its metadata is bounded (see `boundRecord`). */
const wireRecordSchema = z.object({
  id: recordId,
  ioc: z.string().min(1, 'empty ioc').max(4096, 'ioc longer than 4096 characters'),
  threat_type: z.string().trim().min(1),
  threat_type_desc: nullableText,
  ioc_type: z.string().min(1),
  ioc_type_desc: nullableText,
  malware: malwareId,
  malware_printable: nullableText,
  malware_alias: nullableText,
  malware_malpedia: nullableText,
  // A number, or its decimal string; z.coerce would turn null and "" into 0 and invent a confidence.
  confidence_level: z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^\d{1,3}$/, 'expected a whole number')
        .transform(Number),
    ])
    .pipe(z.number().int().min(0).max(100)),
  first_seen: threatFoxTime,
  last_seen: threatFoxTime.nullish().transform((v) => v ?? undefined),
  reference: nullableText,
  reporter: nullableText,
  tags: z
    .union([z.array(z.string()), z.string()])
    .nullish()
    .transform((v) => (Array.isArray(v) ? v : v ? v.split(',') : []).map((t) => t.trim()).filter(Boolean)),
});

type WireRecord = z.output<typeof wireRecordSchema>;

/**
 * Bounds a record's metadata to what an IOC may carry across the queue (`IOC_LIMITS`), so one
 * odd record can never make a queue message the consumer refuses. Free text (tags, reporter,
 * descriptions) is clipped with a visible `…`; a value that clipping would falsify (the ThreatFox
 * id, the reference URL) is dropped instead. Lone surrogates become U+FFFD. The IOC itself is
 * never touched here; every change is noted in `clipped`, which callers count and log.
 */
function boundRecord(r: WireRecord) {
  const clipped: string[] = [];
  const text = (field: string, value: string | undefined, max: number): string | undefined => {
    if (value === undefined) return undefined;
    let out = value;
    if (hasLoneSurrogate(out)) {
      out = wellFormed(out);
      clipped.push(`${field}: lone UTF-16 surrogate replaced with U+FFFD`);
    }
    if (out.length > max) {
      clipped.push(`${field}: ${out.length} characters clipped to ${max}`);
      out = clip(out, max);
    }
    return out;
  };

  let threatfoxId: string | undefined = r.id;
  if (r.id.length > IOC_LIMITS.threatfoxId) {
    clipped.push(
      `id: ${r.id.length} digits, over the ${IOC_LIMITS.threatfoxId} an IOC keeps; the IOC is kept without its ThreatFox id`,
    );
    threatfoxId = undefined;
  }
  let reference = r.reference;
  if (reference !== undefined && (reference.length > IOC_LIMITS.reference || hasLoneSurrogate(reference))) {
    clipped.push(
      `reference: ${reference.length} characters${hasLoneSurrogate(reference) ? ' with a lone surrogate' : ''}, over the ${IOC_LIMITS.reference} an IOC keeps; dropped (a cut URL would be a wrong one)`,
    );
    reference = undefined;
  }
  let tags = r.tags;
  if (tags.length > IOC_LIMITS.tags) {
    clipped.push(`tags: ${tags.length} tags, kept the first ${IOC_LIMITS.tags}`);
    tags = tags.slice(0, IOC_LIMITS.tags);
  }
  tags = tags.map((t, i) => text(`tags[${i}]`, t, IOC_LIMITS.tag)!);

  return {
    ...r,
    threatfoxId,
    threat_type: text('threat_type', r.threat_type, IOC_LIMITS.threatType)!,
    threat_type_desc: text('threat_type_desc', r.threat_type_desc, IOC_LIMITS.threatTypeDesc),
    malware_printable: text('malware_printable', r.malware_printable, IOC_LIMITS.malwarePrintable),
    reference,
    reporter: text('reporter', r.reporter, IOC_LIMITS.reporter),
    tags,
    /** What bounding changed, one line per field; undefined when nothing was. */
    clipped: clipped.length > 0 ? clipped : undefined,
  };
}

/** One record of `data` in a `malwareinfo`, `get_iocs` or `search_ioc` answer, metadata bounded. */
export const threatFoxRecordSchema = wireRecordSchema.transform(boundRecord);

export type ThreatFoxRecord = z.output<typeof threatFoxRecordSchema>;

/** The envelope every ThreatFox answer shares. `data` is an array on `ok`, a string otherwise. */
export const threatFoxResponseSchema = z.object({
  query_status: z.string(),
  data: z.unknown().optional(),
});

/** Describes a record for a rejection line without dumping a huge or hostile object. */
function describe(raw: unknown): string {
  if (raw && typeof raw === 'object' && 'ioc' in raw && typeof raw.ioc === 'string') {
    const r = raw as { id?: unknown; ioc: string };
    return typeof r.id === 'string' || typeof r.id === 'number' ? `ThreatFox #${r.id}: ${r.ioc}` : r.ioc;
  }
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Each metadata change bounding made, as `{input, reason}` lines for logs and counts. */
export function clippedNotes(records: readonly ThreatFoxRecord[]): Rejected[] {
  const notes: Rejected[] = [];
  for (const r of records) {
    for (const reason of r.clipped ?? []) notes.push({ input: describe(r), reason: `metadata bounded: ${reason}` });
  }
  return notes;
}

/** Validates each record on its own: a bad one is rejected with its reason, the rest go on. */
export function parseRecords(data: readonly unknown[]): { records: ThreatFoxRecord[]; rejected: Rejected[] } {
  const records: ThreatFoxRecord[] = [];
  const rejected: Rejected[] = [];
  for (const raw of data) {
    const parsed = threatFoxRecordSchema.safeParse(raw);
    if (parsed.success) {
      records.push(parsed.data);
    } else {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
      rejected.push({ input: describe(raw), reason: `invalid ThreatFox record (${reason})` });
    }
  }
  return { records, rejected };
}

/**
 * When a pull counts as broken: more than half of at least 10 records rejected (schema or
 * normalisation). One odd record is ThreatFox's data; most of them is ThreatFox's format changing
 * under us, and a run that "succeeds" with a fraction of the feed would hide that.
 */
export const FORMAT_ALARM = { minRecords: 10, maxRejectedShare: 0.5 } as const;

/** The warning for a pull that rejected most of what it read, naming the count and the first reasons; undefined when healthy. */
export function rejectionAlarm(read: number, rejected: readonly Rejected[]): string | undefined {
  if (read < FORMAT_ALARM.minRecords || rejected.length <= read * FORMAT_ALARM.maxRejectedShare) return undefined;
  const first = rejected.slice(0, 3).map((r) => (r.reason.length > 200 ? `${r.reason.slice(0, 199)}…` : r.reason));
  return `${rejected.length} of ${read} ThreatFox records rejected (more than ${FORMAT_ALARM.maxRejectedShare * 100}%): has ThreatFox changed its format? First reasons: ${first.join(' | ')}`;
}
