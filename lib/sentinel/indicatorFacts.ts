import { groupBy } from '../groupBy';
import type { Ioc, IocType } from '../ioc/types';
import { sortedUnique } from '../sort';
import { observableKey } from './stix';

/**
 * What we know about one observable: the facts of the IOCs that name it, merged.
 *
 * One indicator per observable (pattern): IOCs that share a pattern (one IP on two ports, one
 * domain reported twice) become one indicator with every port, family and ThreatFox id on it.
 * The facts are a pure function of the IOCs (plus the day of `now` only for IOCs without a first-seen date),
 * so re-running the same feed produces the same body and the writer has nothing to write.
 */

export interface IndicatorOptions {
  /** Sentinel `source`: how we find our own indicators again. */
  source: string;
  /** Lifetime after the last sighting. */
  ttlDays: number;
  /** Used only for IOCs with no first-seen date (pasted lists). */
  now: Date;
}

/** What we know about one observable, merged over every IOC (and existing indicator) that names it. */
export interface IndicatorFacts {
  type: IocType;
  value: string;
  ports: number[];
  /** ThreatFox malware ids. */
  malware: string[];
  /** Printable family names. */
  families: string[];
  /** ThreatFox threat types (`botnet_cc`, ...). */
  threatTypes: string[];
  threatTypeDescs: string[];
  tags: string[];
  threatfoxIds: string[];
  reporters: string[];
  references: string[];
  /** Some IOC of this observable was submitted by hand (a pasted list) rather than published by ThreatFox. */
  submittedByHand: boolean;
  /**
   * A URL's host the saved searches hunt on its own (as a domain or IP): none for other types, and
   * none for a well-known or tenant allow-listed host (`Ioc.huntedHost`, decided at normalisation).
   */
  huntHost?: string;
  confidence?: number;
  /** Day (YYYY-MM-DD) ThreatFox last confirmed it still holds the IOC (lib/sentinel/reconcile.ts). */
  confirmedOn?: string;
  /** Read back only: the `contentHash` of the body the app last wrote with that label. */
  confirmedHash?: string;
  /** ISO 8601. */
  validFrom: string;
  validUntil: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Labels we write as `key:value` so they can be read back; a ThreatFox tag may not pose as one. */
export const LABEL = {
  family: 'family:',
  malware: 'malware:',
  threatType: 'threat-type:',
  port: 'port:',
  huntHost: 'hunt-host:',
  confirmed: 'threatfox-confirmed:',
} as const;
export const RESERVED_LABEL = /^(family|malware|threat-type|port|hunt-host|threatfox-confirmed):/i;
/** `threatfox-confirmed:<day>:<contentHash>` */
export const CONFIRMED = /^threatfox-confirmed:(\d{4}-\d{2}-\d{2}):([0-9a-f]{12})$/;
/** On indicators whose IOC was submitted by hand (not published by ThreatFox); a ThreatFox tag may not pose as it. */
export const SUBMITTED_BY_HAND_LABEL = 'submitted-by-hand';
export const isReservedLabel = (label: string) =>
  RESERVED_LABEL.test(label) || label.toLowerCase() === SUBMITTED_BY_HAND_LABEL;

export const THREATFOX = 'ThreatFox';

/** The metadata values that say something, trimmed, each once in code-unit order (feeds pad and leave blanks). */
export const presentValues = (values: Iterable<string | undefined>): string[] =>
  sortedUnique([...values].flatMap((v) => (v?.trim() ? [v.trim()] : [])));

/** Case-insensitive union that keeps the first spelling (tags `RAT` and `rat` are one tag). */
export function caselessUnion(values: Iterable<string | undefined>): string[] {
  const seen = new Map<string, string>();
  for (const v of values) {
    const t = v?.trim();
    if (t && !seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
  }
  return [...seen.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
}

export const byNumber = (a: string, b: string) => Number(a) - Number(b) || a.localeCompare(b);

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds since the epoch of an ISO time; undefined when there is none or it is not a date. */
export function epochMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** Facts of a group of IOCs that share one observable. */
export function factsFromIocs(iocs: Ioc[], options: Pick<IndicatorOptions, 'ttlDays' | 'now'>): IndicatorFacts {
  const [head] = iocs;
  if (head === undefined) throw new Error('factsFromIocs: no IOC');
  const ttl = options.ttlDays * DAY_MS;
  let from = Number.POSITIVE_INFINITY;
  let until = Number.NEGATIVE_INFINITY;
  let confidence: number | undefined;
  // An undated IOC (a pasted list) is valid from the start of the day it is sent: sending the same
  // list again that day writes nothing, and on a later day it extends the validity.
  const today = Math.floor(options.now.getTime() / DAY_MS) * DAY_MS;
  for (const ioc of iocs) {
    const first = epochMs(ioc.firstSeen) ?? today;
    const last = Math.max(epochMs(ioc.lastSeen) ?? first, first);
    from = Math.min(from, first);
    until = Math.max(until, last + ttl);
    if (ioc.confidence !== undefined) confidence = Math.max(confidence ?? 0, ioc.confidence);
  }
  const huntHost = head.type === 'url' ? head.huntedHost : undefined;
  return {
    type: head.type,
    value: head.value,
    ports: [...new Set(iocs.map((i) => i.port).filter((p): p is number => p !== undefined))].sort((a, b) => a - b),
    malware: presentValues(iocs.map((i) => i.malware)),
    families: presentValues(iocs.map((i) => i.malwarePrintable)),
    threatTypes: presentValues(iocs.map((i) => i.threatType)),
    threatTypeDescs: presentValues(iocs.map((i) => i.threatTypeDesc)),
    tags: caselessUnion(iocs.flatMap((i) => i.tags ?? []).filter((t) => !isReservedLabel(t))),
    threatfoxIds: presentValues(iocs.map((i) => i.threatfoxId)).sort(byNumber),
    reporters: presentValues(iocs.map((i) => i.reporter)),
    references: presentValues(iocs.map((i) => i.reference).filter((r) => r && /^https?:\/\//i.test(r))),
    submittedByHand: iocs.some((i) => i.origin === 'manual'),
    ...(huntHost ? { huntHost } : {}),
    confidence,
    validFrom: iso(from),
    validUntil: iso(until),
  };
}

/** IOCs grouped by observable, in order of first appearance. */
export function groupByObservable(iocs: Ioc[]): Map<string, Ioc[]> {
  return groupBy(iocs, observableKey);
}

/** The later of two YYYY-MM-DD days (they sort as text). */
export const laterDay = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined || a >= b ? a : b;

/**
 * What an existing indicator should become given new facts about its observable. Never shortens
 * the validity window (validFrom = earlier, validUntil = later) and never forgets a port, family,
 * tag or ThreatFox id already on it; confidence, descriptions and reporters follow the new facts.
 */
export function mergeFacts(existing: IndicatorFacts, incoming: IndicatorFacts): IndicatorFacts {
  const from = Math.min(epochMs(existing.validFrom) ?? Infinity, epochMs(incoming.validFrom) ?? Infinity);
  const until = Math.max(epochMs(existing.validUntil) ?? -Infinity, epochMs(incoming.validUntil) ?? -Infinity);
  return {
    ...incoming,
    ports: [...new Set([...existing.ports, ...incoming.ports])].sort((a, b) => a - b),
    malware: presentValues([...existing.malware, ...incoming.malware]),
    families: presentValues([...existing.families, ...incoming.families]),
    threatTypes: presentValues([...existing.threatTypes, ...incoming.threatTypes]),
    tags: caselessUnion([...existing.tags, ...incoming.tags]),
    threatfoxIds: presentValues([...existing.threatfoxIds, ...incoming.threatfoxIds]).sort(byNumber),
    references: presentValues([...existing.references, ...incoming.references]),
    submittedByHand: existing.submittedByHand || incoming.submittedByHand,
    confidence: incoming.confidence ?? existing.confidence,
    confirmedOn: laterDay(existing.confirmedOn, incoming.confirmedOn),
    confirmedHash: undefined,
    validFrom: Number.isFinite(from) ? iso(from) : incoming.validFrom,
    validUntil: Number.isFinite(until) ? iso(until) : incoming.validUntil,
  };
}
