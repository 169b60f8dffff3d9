import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { inputError } from './errors';
import { type Allowlist, EMPTY_ALLOWLIST } from './ioc/benign';
import { parseIocText } from './ioc/normalise';
import type { NormaliseResult, Rejected } from './ioc/types';
import { readRecords, readRecordsText } from './threatfox/records';

export interface ParsedInput extends NormaliseResult {
  /** Entries read before normalisation (records or non-comment lines). */
  read: number;
  /** ThreatFox records left out because their family is not among the families asked for. */
  skipped: number;
  /** ThreatFox records whose metadata was clipped or dropped to fit (the IOCs were kept). */
  clipped?: Rejected[];
  /** The families of the skipped records, with how many each. */
  skippedFamilies?: ReadonlyMap<string, number>;
}

/** A saved ThreatFox answer or array of records (JSON), or a pasted list of IOCs, one a line. */
export type DocumentKind = 'threatfox' | 'pasted';

export interface DocumentOptions {
  /** The family of a pasted list (pasted IOCs carry none); required for one. */
  family?: string;
  /** Keep only ThreatFox records of these families (a ThreatFox document); all when absent. */
  malware?: readonly string[];
  /** The tenant's benign values (BENIGN_ALLOWLIST). */
  allow?: Allowlist;
  /** How the caller names the family option in an error: `--malware` (CLI), `malware` (HTTP). */
  familyOption?: string;
}

/**
 * What kind of document this is. Only text that parses as JSON is JSON: `[evil-c2[.]com]` is a
 * defanged IOC, not an array; text that starts with `{` is always meant as JSON.
 */
export function documentKind(text: string): DocumentKind {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return 'threatfox';
  return trimmed.startsWith('[') && tryJson(trimmed) !== undefined ? 'threatfox' : 'pasted';
}

/**
 * Reads what a user hands us: a saved ThreatFox answer (`{"query_status":"ok","data":[...]}`),
 * a bare array of ThreatFox records, or a pasted list of (defanged) IOCs, one a line. A pasted
 * list is submitted by hand: its IOCs say so (`origin: 'manual'`) and take the family given.
 */
export function parseInputDocument(text: string, options: DocumentOptions = {}): ParsedInput {
  const allow = options.allow ?? EMPTY_ALLOWLIST;
  if (documentKind(text) === 'threatfox') {
    // Read a record at a time when the document allows (a big one then stays small in memory).
    const streamed = readRecordsText(text.trim(), { malware: options.malware, allow });
    if (streamed) return someFamilyMatched(streamed, options);
    let doc: unknown;
    try {
      doc = JSON.parse(text.trim());
    } catch (e) {
      throw inputError(`input looks like JSON but does not parse: ${(e as Error).message}`);
    }
    return someFamilyMatched(fromJson(doc, options.malware, allow), options);
  }
  if (!options.family) {
    throw inputError(
      `a pasted list of IOCs needs its family: give ${options.familyOption ?? 'malware'} with exactly one ThreatFox malware id (e.g. win.netsupportmanager_rat)`,
      options.familyOption ?? 'malware',
    );
  }
  const result = parseIocText(text, { malware: options.family, origin: 'manual' }, allow);
  return { ...result, read: result.iocs.length + result.rejected.length, skipped: 0 };
}

/** How many of the file's families a no-match error names (the most frequent first). */
const NAMED_FAMILIES = 10;

/**
 * A family filter that kept nothing (and refused nothing) is most likely a typo: an error naming
 * the families the document does hold, rather than a quiet run of 0 IOCs.
 */
function someFamilyMatched(parsed: ParsedInput, options: DocumentOptions): ParsedInput {
  const held = parsed.skippedFamilies;
  if (!options.malware || parsed.skipped === 0 || parsed.iocs.length > 0 || parsed.rejected.length > 0 || !held)
    return parsed;
  const option = options.familyOption ?? 'malware';
  const families = [...held.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = families.slice(0, NAMED_FAMILIES).map(([f, n]) => `${f} (${n} record${n === 1 ? '' : 's'})`);
  const more = families.length > NAMED_FAMILIES ? ` and ${families.length - NAMED_FAMILIES} more` : '';
  throw inputError(
    `${option} ${options.malware.join(',')} matched none of the ${parsed.skipped} ThreatFox records in the input; it holds ${named.join(', ')}${more}: name one of those, or leave out ${option} to take them all`,
    option,
  );
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function fromJson(doc: unknown, malware: readonly string[] | undefined, allow: Allowlist): ParsedInput {
  let data: unknown;
  if (Array.isArray(doc)) {
    data = doc;
  } else if (doc && typeof doc === 'object' && 'query_status' in doc) {
    const { query_status: status, data: d } = doc as { query_status: unknown; data?: unknown };
    if (status === 'no_result') return { iocs: [], rejected: [], read: 0, skipped: 0 };
    if (status !== 'ok')
      throw inputError(`input is a ThreatFox answer with query_status "${String(status)}", not "ok"`);
    data = d;
  } else {
    throw inputError(
      'input JSON must be a ThreatFox answer {"query_status":"ok","data":[...]} or an array of ThreatFox records',
    );
  }
  if (!Array.isArray(data)) throw inputError('input JSON: "data" must be an array of ThreatFox records');
  return { read: data.length, ...readRecords(data, { malware, allow }) };
}

/** How many leading bytes the encoding sniffing looks at. */
const SNIFF_BYTES = 4096;

/**
 * Input bytes → text. UTF-8 (with or without a BOM) and UTF-16 LE/BE (with a BOM, as Windows
 * PowerShell 5.1's `>` writes, or without one when the NUL pattern of ASCII text gives it away)
 * are decoded; anything else (a binary file, another encoding) is refused as a whole, naming `what`.
 */
export function decodeInput(bytes: Uint8Array, what: string): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text: string;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) text = utf8(buf.subarray(3), what);
  else if (buf[0] === 0xff && buf[1] === 0xfe) text = utf16(buf.subarray(2), 'le', what);
  else if (buf[0] === 0xfe && buf[1] === 0xff) text = utf16(buf.subarray(2), 'be', what);
  else {
    const guess = sniffUtf16(buf);
    text = guess ? utf16(buf, guess, what) : utf8(buf, what);
  }
  return withoutNul(text, what);
}

/**
 * A file's text, exactly as decodeInput gives it from the file's bytes. A plain UTF-8 file (no BOM,
 * not UTF-16: a saved ThreatFox answer) is decoded by node as it is read, so its bytes are not held
 * beside the text: a 70 MB Buffer lingers until a full GC, through the whole read of its records
 * (about 60 MB more at a 100k run's peak). A text with U+FFFD (invalid UTF-8 decodes to it, or a real
 * one) and every other file go through decodeInput, which refuses what is not text.
 */
export function readTextFile(path: string, what: string): string {
  const head = Buffer.alloc(SNIFF_BYTES);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, SNIFF_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const start = head.subarray(0, read);
  const bom = (start[0] === 0xef && start[1] === 0xbb) || start[0] === 0xff || start[0] === 0xfe;
  if (!bom && !sniffUtf16(start)) {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('\ufffd')) return withoutNul(text, what);
  }
  return decodeInput(readFileSync(path), what);
}

function withoutNul(text: string, what: string): string {
  if (text.includes('\u0000'))
    throw inputError(
      `${what} is binary, not text (it holds NUL characters): give a text file of IOCs or a ThreatFox JSON answer`,
    );
  return text;
}

function utf8(buf: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw inputError(`${what} is not UTF-8 or UTF-16 text (a binary file, or another encoding): save it as UTF-8`);
  }
}

function utf16(buf: Buffer, order: 'le' | 'be', what: string): string {
  if (buf.length % 2 !== 0)
    throw inputError(`${what} looks like UTF-16 but has an odd number of bytes: save it as UTF-8`);
  const le = order === 'le' ? Buffer.from(buf) : Buffer.from(buf).swap16();
  try {
    return new TextDecoder('utf-16le', { fatal: true }).decode(le);
  } catch {
    throw inputError(`${what} is not valid UTF-16 text: save it as UTF-8`);
  }
}

/** ASCII text in UTF-16 without a BOM: every other byte is NUL, the rest never are. */
function sniffUtf16(buf: Buffer): 'le' | 'be' | undefined {
  const n = Math.min(buf.length, SNIFF_BYTES) & ~1;
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenZero++;
    if (buf[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero >= pairs * 0.9 && evenZero === 0) return 'le';
  if (evenZero >= pairs * 0.9 && oddZero === 0) return 'be';
  return undefined;
}
