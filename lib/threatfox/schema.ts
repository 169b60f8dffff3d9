import { z } from 'zod';
import type { Rejected } from '../ioc/types';

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

/** One record of `data` in a `malwareinfo`, `get_iocs` or `search_ioc` answer. */
export const threatFoxRecordSchema = z.object({
  id: z.union([z.string().regex(/^\d+$/, 'expected a numeric id'), z.number().int().nonnegative()]).transform(String),
  ioc: z.string().min(1, 'empty ioc').max(4096, 'ioc longer than 4096 characters'),
  threat_type: z.string().min(1),
  threat_type_desc: nullableText,
  ioc_type: z.string().min(1),
  ioc_type_desc: nullableText,
  malware: z.string().min(1),
  malware_printable: nullableText,
  malware_alias: nullableText,
  malware_malpedia: nullableText,
  // A number, or its decimal string; z.coerce would turn null and "" into 0 and invent a confidence.
  confidence_level: z
    .union([z.number(), z.string().trim().regex(/^\d{1,3}$/, 'expected a whole number').transform(Number)])
    .pipe(z.number().int().min(0).max(100)),
  first_seen: threatFoxTime,
  last_seen: threatFoxTime.nullish().transform((v) => v ?? undefined),
  reference: nullableText,
  reporter: nullableText,
  tags: z
    .union([z.array(z.string()), z.string()])
    .nullish()
    .transform((v) =>
      (Array.isArray(v) ? v : v ? v.split(',') : []).map((t) => t.trim()).filter(Boolean),
    ),
});

export type ThreatFoxRecord = z.output<typeof threatFoxRecordSchema>;

/** The envelope every ThreatFox answer shares. `data` is an array on `ok`, a string otherwise. */
export const threatFoxResponseSchema = z.object({
  query_status: z.string(),
  data: z.unknown().optional(),
});

/** Describes a record for a rejection line without dumping a huge or hostile object. */
function describe(raw: unknown): string {
  if (raw && typeof raw === 'object' && 'ioc' in raw && typeof (raw as { ioc: unknown }).ioc === 'string') {
    const r = raw as { id?: unknown; ioc: string };
    return r.id !== undefined ? `ThreatFox #${String(r.id)}: ${r.ioc}` : r.ioc;
  }
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
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
      const reason = parsed.error.issues
        .map((i) => `${i.path.join('.') || 'record'}: ${i.message}`)
        .join('; ');
      rejected.push({ input: describe(raw), reason: `invalid ThreatFox record (${reason})` });
    }
  }
  return { records, rejected };
}
