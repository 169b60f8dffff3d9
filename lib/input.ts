import { inputError } from './errors';
import { readRecords, readRecordsText } from './threatfox/records';
import { parseIocText } from './ioc/normalise';
import type { Ioc, NormaliseResult, Rejected } from './ioc/types';

export interface ParsedInput extends NormaliseResult {
  /** Entries read before normalisation (records or non-comment lines). */
  read: number;
  /** ThreatFox records whose metadata was clipped or dropped to fit (the IOCs were kept). */
  clipped?: Rejected[];
}

/**
 * Reads what a user hands us: a saved ThreatFox answer (`{"query_status":"ok","data":[...]}`),
 * a bare array of ThreatFox records, or a pasted list of (defanged) IOCs, one a line.
 * `defaults` fills the family of pasted IOCs, which carry none.
 */
export function parseInputDocument(text: string, defaults: Partial<Ioc> = {}): ParsedInput {
  const trimmed = text.trim();
  // A ThreatFox answer or array of records, read a record at a time (big documents stay small in memory).
  const streamed = trimmed.startsWith('{') || trimmed.startsWith('[') ? readRecordsText(trimmed) : undefined;
  if (streamed) return streamed;
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw inputError(`input looks like JSON but does not parse: ${(e as Error).message}`);
    }
    return fromJson(doc);
  }
  if (trimmed.startsWith('[')) {
    // `[evil-c2[.]com]` is a defanged IOC, not a JSON array: only text that parses is JSON.
    const doc = tryJson(trimmed);
    if (doc !== undefined) return fromJson(doc);
  }
  const result = parseIocText(text, defaults);
  return { ...result, read: result.iocs.length + result.rejected.length };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function fromJson(doc: unknown): ParsedInput {
  let data: unknown;
  if (Array.isArray(doc)) {
    data = doc;
  } else if (doc && typeof doc === 'object' && 'query_status' in doc) {
    const { query_status: status, data: d } = doc as { query_status: unknown; data?: unknown };
    if (status === 'no_result') return { iocs: [], rejected: [], read: 0 };
    if (status !== 'ok') throw inputError(`input is a ThreatFox answer with query_status "${String(status)}", not "ok"`);
    data = d;
  } else {
    throw inputError('input JSON must be a ThreatFox answer {"query_status":"ok","data":[...]} or an array of ThreatFox records');
  }
  if (!Array.isArray(data)) throw inputError('input JSON: "data" must be an array of ThreatFox records');
  const read = data.length;
  const { iocs, rejected, clipped } = readRecords(data);
  return { iocs, rejected, clipped, read };
}
