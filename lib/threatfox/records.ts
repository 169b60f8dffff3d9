import { type Allowlist, EMPTY_ALLOWLIST } from '../ioc/benign';
import { IocDeduper } from '../ioc/dedupe';
import { normaliseRecord } from '../ioc/normalise';
import type { Ioc, Rejected } from '../ioc/types';
import { clippedNotes, parseRecords } from './schema';

export interface ReadOptions {
  /** Keep only records of these families; all when absent. */
  malware?: readonly string[];
  /** The tenant's benign values (BENIGN_ALLOWLIST). */
  allow?: Allowlist;
}

/** Records validated and normalised together: enough to amortise the work, few enough to stay small. */
const CHUNK = 1000;

export interface ReadRecords {
  iocs: Ioc[];
  rejected: Rejected[];
  /** Metadata clipped or dropped to fit an IOC (the IOCs were kept). */
  clipped: Rejected[];
  /** Valid records left out because their family was not asked for. */
  skipped: number;
  /** The families of the skipped records, with how many each: what to name when nothing matched. */
  skippedFamilies: Map<string, number>;
}

/** Validates and normalises a chunk of raw records into the running totals. */
function readChunk(raw: unknown[], options: ReadOptions, into: Accumulator): void {
  const parsed = parseRecords(raw);
  into.rejected.push(...parsed.rejected);
  const wanted = options.malware && new Set(options.malware.map((m) => m.toLowerCase()));
  const kept = wanted ? parsed.records.filter((r) => wanted.has(r.malware.trim().toLowerCase())) : parsed.records;
  into.skipped += parsed.records.length - kept.length;
  if (kept.length < parsed.records.length) {
    for (const r of parsed.records) {
      const family = r.malware.trim().toLowerCase();
      if (!wanted?.has(family)) into.skippedFamilies.set(family, (into.skippedFamilies.get(family) ?? 0) + 1);
    }
  }
  into.clipped.push(...clippedNotes(kept));
  // Each IOC goes straight into the one deduper (deduplicating the chunk first would copy it twice):
  // all IOCs, then their deduplicated copies, would be held at once.
  for (const record of kept) {
    const normalised = normaliseRecord(record, options.allow ?? EMPTY_ALLOWLIST);
    if (normalised.ok) into.iocs.add(normalised.ioc);
    else into.normalisedRejected.push(normalised.rejected);
  }
}

/** Schema rejections first, then normalisation ones, as parseRecords + normaliseRecords list them. */
const finish = (acc: Accumulator): ReadRecords => ({
  iocs: acc.iocs.iocs(),
  rejected: [...acc.rejected, ...acc.normalisedRejected],
  clipped: acc.clipped,
  skipped: acc.skipped,
  skippedFamilies: acc.skippedFamilies,
});

type Accumulator = Omit<ReadRecords, 'iocs'> & { iocs: IocDeduper; normalisedRejected: Rejected[] };

const empty = (): Accumulator => ({
  iocs: new IocDeduper(),
  rejected: [] as Rejected[],
  normalisedRejected: [] as Rejected[],
  clipped: [] as Rejected[],
  skipped: 0,
  skippedFamilies: new Map(),
});

/**
 * Validates and normalises the records of a ThreatFox answer a chunk at a time and lets go of each
 * raw record once read (the array is emptied as it goes), so a 100k-record document is never held
 * three times over (raw, validated, normalised). Same result as parseRecords + normaliseRecords.
 */
export function readRecords(data: unknown[], options: ReadOptions = {}): ReadRecords {
  const acc = empty();
  for (let start = 0; start < data.length; start += CHUNK) {
    const chunk = data.slice(start, start + CHUNK);
    data.fill(undefined, start, start + CHUNK);
    readChunk(chunk, options, acc);
  }
  return finish(acc);
}

/**
 * Reads a ThreatFox answer (`{"query_status":"ok","data":[...]}`) or a bare array of records from
 * its text, one record at a time: each record is parsed from its own slice of the text, checked,
 * normalised and dropped, so the whole document never exists as objects (100k records parsed at
 * once, then validated, peak at about 550 MB). Returns undefined for anything else (another status,
 * malformed JSON, ...): the caller then parses the document whole and reports what is wrong.
 */
export function readRecordsText(text: string, options: ReadOptions = {}): (ReadRecords & { read: number }) | undefined {
  let elements: Bounds;
  try {
    const start = skipSpace(text, 0);
    if (text[start] === '[') {
      const array = splitArray(text, start);
      if (skipSpace(text, array.end + 1) !== text.length) return undefined;
      elements = array.elements;
    } else if (text[start] === '{') {
      const data = findDataArray(text, start);
      if (!data) return undefined;
      // The envelope without its records: small, and parsed whole to read query_status.
      const envelope = JSON.parse(`${text.slice(start, data.start)}[]${text.slice(data.end + 1)}`) as {
        query_status?: unknown;
        data?: unknown;
      };
      // Another status, or a second "data" key (JSON.parse would take the last): the whole-document path decides.
      if (envelope.query_status !== 'ok' || !Array.isArray(envelope.data) || envelope.data.length !== 0)
        return undefined;
      elements = data.elements;
    } else {
      return undefined;
    }
  } catch {
    return undefined;
  }
  const acc = empty();
  const count = elements.length / 2;
  for (let i = 0; i < count; i += CHUNK) {
    const raw: unknown[] = [];
    try {
      for (let e = i; e < Math.min(i + CHUNK, count); e++)
        raw.push(JSON.parse(text.slice(elements[2 * e], elements[2 * e + 1])) as unknown);
    } catch {
      return undefined;
    }
    readChunk(raw, options, acc);
  }
  return { ...finish(acc), read: count };
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the JSON string that opens at `i` (a `"`). */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Index just past the JSON value that starts at `i` (structure only; JSON.parse checks the rest). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c !== '{' && c !== '[') {
    let j = i;
    while (j < text.length && !/[,\]}\s]/.test(text.charAt(j))) j++;
    if (j === i) throw new SyntaxError('empty value');
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const ch = text.charCodeAt(j);
    if (ch === 0x22) j = skipString(text, j) - 1;
    else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (ch === 0x7d || ch === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  throw new SyntaxError('unterminated value');
}

/**
 * Where each element of an array lies in the text: start and end of the first, then of the second,
 * ... in one flat list of numbers (100k pairs as arrays of their own would take several MB more).
 */
type Bounds = number[];

/** The element slices of the array that opens at `open`, and the index of its `]`. */
function splitArray(text: string, open: number): { elements: Bounds; end: number } {
  const elements: Bounds = [];
  let i = skipSpace(text, open + 1);
  if (text[i] === ']') return { elements, end: i };
  for (;;) {
    const end = skipValue(text, i);
    elements.push(i, end);
    i = skipSpace(text, end);
    if (text[i] === ']') return { elements, end: i };
    if (text[i] !== ',') throw new SyntaxError('expected , or ]');
    i = skipSpace(text, i + 1);
  }
}

/** The top-level `"data": [...]` of the object that opens at `open`, if there is one. */
function findDataArray(text: string, open: number): { start: number; end: number; elements: Bounds } | undefined {
  let i = skipSpace(text, open + 1);
  while (text[i] !== '}') {
    if (text[i] !== '"') throw new SyntaxError('expected a key');
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') throw new SyntaxError('expected :');
    i = skipSpace(text, i + 1);
    if (key === 'data' && text[i] === '[') {
      const array = splitArray(text, i);
      return { start: i, end: array.end, elements: array.elements };
    }
    i = skipSpace(text, skipValue(text, i));
    if (text[i] === ',') i = skipSpace(text, i + 1);
    else if (text[i] !== '}') throw new SyntaxError('expected , or }');
  }
  return undefined;
}
