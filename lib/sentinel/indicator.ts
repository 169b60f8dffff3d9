import type {
  ThreatIntelligenceExternalReference,
  ThreatIntelligenceIndicatorModel,
  ThreatIntelligenceKillChainPhase,
} from '@azure/arm-securityinsight';
import { createHash } from 'node:crypto';
import { groupBy } from '../groupBy';
import type { Allowlist } from '../ioc/benign';
import type { Ioc, IocType } from '../ioc/types';
import { familyDisplayName } from '../content/family';
import { huntedUrlHost } from '../kql/urlHost';
import { sortedUnique } from '../sort';
import { observableKey, parsePattern, stixPattern, stixPatternType } from './stix';
import { clip, wellFormed } from '../text/clip';

/**
 * Ioc → Sentinel threat-intelligence indicator body, and back.
 *
 * One indicator per observable (pattern): IOCs that share a pattern (one IP on two ports, one
 * domain reported twice) become one indicator with every port, family and ThreatFox id on it.
 * The body is a pure function of the IOCs (plus the day of `now` only for IOCs without a first-seen date),
 * so re-running the same feed produces the same body and the writer has nothing to write.
 */

export interface IndicatorOptions {
  /** Sentinel `source`: how we find our own indicators again. */
  source: string;
  /** Lifetime after the last sighting. */
  ttlDays: number;
  /** Used only for IOCs with no first-seen date (pasted lists). */
  now: Date;
  /** The tenant's benign values (BENIGN_ALLOWLIST): a URL's host in it gets no `hunt-host:` label. */
  allow?: Allowlist;
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
   * none for a well-known or tenant allow-listed host (`huntedUrlHost`).
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
const LABEL = {
  family: 'family:',
  malware: 'malware:',
  threatType: 'threat-type:',
  port: 'port:',
  huntHost: 'hunt-host:',
  confirmed: 'threatfox-confirmed:',
} as const;
const RESERVED_LABEL = /^(family|malware|threat-type|port|hunt-host|threatfox-confirmed):/i;
/** `threatfox-confirmed:<day>:<contentHash>` */
const CONFIRMED = /^threatfox-confirmed:(\d{4}-\d{2}-\d{2}):([0-9a-f]{12})$/;
/** On indicators whose IOC was submitted by hand (not published by ThreatFox); a ThreatFox tag may not pose as it. */
export const SUBMITTED_BY_HAND_LABEL = 'submitted-by-hand';
const isReservedLabel = (label: string) =>
  RESERVED_LABEL.test(label) || label.toLowerCase() === SUBMITTED_BY_HAND_LABEL;

const THREATFOX_IOC_PAGE = (id: string) => `https://threatfox.abuse.ch/ioc/${encodeURIComponent(id)}/`;
const THREATFOX = 'ThreatFox';

/**
 * What each ThreatFox threat type means: for people (the display name), and as the Lockheed Martin
 * kill chain phase. A C2 server is command and control, a download URL is delivery, a payload hash
 * is what gets installed, a skimmer acts on objectives.
 */
const THREAT_TYPES: Readonly<Record<string, { text: string; killChainPhase: string }>> = {
  botnet_cc: { text: 'C2', killChainPhase: 'command-and-control' },
  payload_delivery: { text: 'payload delivery', killChainPhase: 'delivery' },
  payload: { text: 'payload', killChainPhase: 'installation' },
  cc_skimming: { text: 'card skimming', killChainPhase: 'actions-on-objectives' },
};
const KILL_CHAIN_NAME = 'lockheed-martin-cyber-kill-chain';

/**
 * STIX 2.1 indicator-type-ov for Sentinel's `threatTypes`. Everything ThreatFox publishes is
 * attacker infrastructure or malware, which is `malicious-activity`; `compromised` would claim
 * a legitimate asset was taken over, which ThreatFox does not say.
 */
const STIX_INDICATOR_TYPE = 'malicious-activity';

const TYPE_TEXT: Record<IocType, string> = {
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  domain: 'Domain',
  url: 'URL',
  md5: 'MD5 file hash',
  sha1: 'SHA-1 file hash',
  sha256: 'SHA-256 file hash',
};

/** A lookup by a feed value: own keys only, so a threat type named `constructor` finds nothing. */
const ownValue = <T>(map: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(map, key) ? map[key] : undefined;

const DISPLAY_NAME_MAX = 256;
const DESCRIPTION_MAX = 4000;

/** The metadata values that say something, trimmed, each once in code-unit order (feeds pad and leave blanks). */
const presentValues = (values: Iterable<string | undefined>): string[] =>
  sortedUnique([...values].flatMap((v) => (v?.trim() ? [v.trim()] : [])));

/** Case-insensitive union that keeps the first spelling (tags `RAT` and `rat` are one tag). */
function caselessUnion(values: Iterable<string | undefined>): string[] {
  const seen = new Map<string, string>();
  for (const v of values) {
    const t = v?.trim();
    if (t && !seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
  }
  return [...seen.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
}

const byNumber = (a: string, b: string) => Number(a) - Number(b) || a.localeCompare(b);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds since the epoch of an ISO time; undefined when there is none or it is not a date. */
export function epochMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** Facts of a group of IOCs that share one observable. */
export function factsFromIocs(
  iocs: Ioc[],
  options: Pick<IndicatorOptions, 'ttlDays' | 'now' | 'allow'>,
): IndicatorFacts {
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
  const huntHost = head.type === 'url' ? huntedUrlHost(head.value, options.allow) : undefined;
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

/** Shortened with `…`, never between the halves of a surrogate pair, and without lone surrogates. */
function truncate(text: string, max: number): string {
  return clip(wellFormed(text), max);
}

function valueWithPorts(f: IndicatorFacts): string {
  if (f.ports.length === 0) return f.value;
  const host = f.type === 'ipv6' ? `[${f.value}]` : f.value;
  if (f.ports.length === 1) return `${host}:${f.ports[0]}`;
  return `${f.value} (ports ${f.ports.join(', ')})`;
}

function familyText(f: IndicatorFacts): string {
  if (f.families.length > 0) return f.families.join(' / ');
  if (f.malware.length > 0) return f.malware.map((id) => familyDisplayName(id)).join(' / '); // a pasted list: the id only
  return 'Unknown malware';
}

/** `NetSupportManager RAT C2: 91.92.34.228:80`: family, threat type and value at a glance. */
function displayName(f: IndicatorFacts): string {
  const threat = f.threatTypes.map((t) => ownValue(THREAT_TYPES, t)?.text ?? t.replace(/_/g, ' ')).join(' / ');
  const head = threat ? `${familyText(f)} ${threat}` : `${familyText(f)} ${TYPE_TEXT[f.type]}`;
  return truncate(`${head}: ${valueWithPorts(f)}`, DISPLAY_NAME_MAX);
}

function description(f: IndicatorFacts): string {
  const families = f.families.length > 0 || f.malware.length > 0 ? familyText(f) : 'malware';
  const ids = f.malware.length > 0 ? ` (${f.malware.join(', ')})` : '';
  const parts = [`${TYPE_TEXT[f.type]} associated with ${families}${ids}, ${provenance(f)}.`];
  if (f.threatTypeDescs.length > 0) parts.push(`${f.threatTypeDescs.join('; ')}.`);
  else if (f.threatTypes.length > 0) parts.push(`Threat type: ${f.threatTypes.join(', ')}.`);
  if (f.ports.length > 0) parts.push(`Seen on port${f.ports.length > 1 ? 's' : ''} ${f.ports.join(', ')}.`);
  if (f.reporters.length > 0) parts.push(`Reported by ${f.reporters.join(', ')}.`);
  if (f.threatfoxIds.length > 0) parts.push(`ThreatFox IOC ${f.threatfoxIds.map((id) => `#${id}`).join(', ')}.`);
  return truncate(parts.join(' '), DESCRIPTION_MAX);
}

/** Who vouches for the observable: ThreatFox (it has ThreatFox ids), an operator who pasted it, or both. */
function provenance(f: IndicatorFacts): string {
  const byThreatFox = f.threatfoxIds.length > 0 || !f.submittedByHand;
  if (f.submittedByHand && byThreatFox) return 'published by ThreatFox (abuse.ch) and submitted by hand';
  return f.submittedByHand
    ? 'submitted by hand (a pasted IOC list, not published by ThreatFox)'
    : 'published by ThreatFox (abuse.ch)';
}

function labels(f: IndicatorFacts): string[] {
  return [
    ...(f.submittedByHand ? [SUBMITTED_BY_HAND_LABEL] : []),
    ...f.families.map((v) => LABEL.family + v),
    ...f.malware.map((v) => LABEL.malware + v),
    ...f.threatTypes.map((v) => LABEL.threatType + v),
    ...f.tags,
    ...f.ports.map((p) => LABEL.port + p),
    // The ThreatIntelIndicators form of the saved searches reads this label (it cannot call huntedUrlHost).
    ...(f.huntHost ? [LABEL.huntHost + f.huntHost] : []),
  ];
}

function externalReferences(f: IndicatorFacts): ThreatIntelligenceExternalReference[] {
  return [
    ...f.threatfoxIds.map((id) => ({ sourceName: THREATFOX, externalId: id, url: THREATFOX_IOC_PAGE(id) })),
    ...f.references.map((url) => ({ sourceName: 'Reference', url })),
  ];
}

function killChainPhases(f: IndicatorFacts): ThreatIntelligenceKillChainPhase[] {
  return presentValues(f.threatTypes.map((t) => ownValue(THREAT_TYPES, t)?.killChainPhase)).map((phaseName) => ({
    killChainName: KILL_CHAIN_NAME,
    phaseName,
  }));
}

/** The indicator body for a set of facts: every field we own, nothing the service assigns. */
export function renderIndicator(f: IndicatorFacts, source: string): ThreatIntelligenceIndicatorModel {
  const body: ThreatIntelligenceIndicatorModel = {
    kind: 'indicator',
    source,
    displayName: displayName(f),
    description: description(f),
    pattern: stixPattern(f),
    patternType: stixPatternType(f.type),
    threatTypes: [STIX_INDICATOR_TYPE],
    labels: labels(f),
    validFrom: f.validFrom,
    validUntil: f.validUntil,
    externalReferences: externalReferences(f),
    killChainPhases: killChainPhases(f),
    revoked: false,
  };
  if (f.confidence !== undefined) body.confidence = f.confidence;
  // Last, over everything else we wrote: a later change by someone else shows as a hash that no longer fits.
  if (f.confirmedOn) body.labels?.push(`${LABEL.confirmed}${f.confirmedOn}:${contentHash(body)}`);
  return body;
}

/**
 * A fingerprint of the fields we write, the `threatfox-confirmed:` label and the description left
 * out (the description holds reporters and threat-type texts an indicator's labels do not keep, so
 * it cannot be rendered again from what the indicator says).
 */
export function contentHash(m: ThreatIntelligenceIndicatorModel): string {
  const labels = (m.labels ?? []).filter((l) => !l.startsWith(LABEL.confirmed));
  const fields = JSON.stringify(ownedFields({ ...m, labels, description: '' }));
  return createHash('sha256').update(fields).digest('hex').slice(0, 12);
}

/** IOCs grouped by observable, in order of first appearance. */
export function groupByObservable(iocs: Ioc[]): Map<string, Ioc[]> {
  return groupBy(iocs, observableKey);
}

/** The later of two YYYY-MM-DD days (they sort as text). */
const laterDay = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined || a >= b ? a : b;

/** Facts read back from an indicator we wrote; undefined if its pattern is not a simple one. */
export function factsFromIndicator(model: ThreatIntelligenceIndicatorModel): IndicatorFacts | undefined {
  const observable = model.pattern ? parsePattern(model.pattern) : undefined;
  if (!observable) return undefined;
  const facts: IndicatorFacts = {
    ...observable,
    ports: [],
    malware: [],
    families: [],
    threatTypes: [],
    threatTypeDescs: [],
    tags: [],
    threatfoxIds: [],
    reporters: [],
    references: [],
    submittedByHand: false,
    confidence: model.confidence ?? undefined,
    validFrom: model.validFrom ?? '',
    validUntil: model.validUntil ?? '',
  };
  const ports = new Set<number>();
  for (const label of model.labels ?? []) {
    if (label.startsWith(LABEL.port)) {
      const port = Number(label.slice(LABEL.port.length));
      if (Number.isInteger(port) && port >= 0 && port <= 65535) ports.add(port);
    } else if (label.startsWith(LABEL.malware)) facts.malware.push(label.slice(LABEL.malware.length));
    else if (label.startsWith(LABEL.family)) facts.families.push(label.slice(LABEL.family.length));
    else if (label.startsWith(LABEL.threatType)) facts.threatTypes.push(label.slice(LABEL.threatType.length));
    else if (label.toLowerCase() === SUBMITTED_BY_HAND_LABEL) facts.submittedByHand = true;
    // Kept as written: the run that wrote it knew the tenant's allow-list, the read-back does not.
    else if (label.startsWith(LABEL.huntHost) && facts.type === 'url')
      facts.huntHost = label.slice(LABEL.huntHost.length);
    else if (CONFIRMED.test(label)) {
      const [, day, hash] = CONFIRMED.exec(label) ?? [];
      if (day && day === laterDay(facts.confirmedOn, day))
        Object.assign(facts, { confirmedOn: day, confirmedHash: hash });
    } else if (!isReservedLabel(label)) facts.tags.push(label);
  }
  facts.ports = [...ports].sort((a, b) => a - b);
  facts.malware = presentValues(facts.malware);
  facts.families = presentValues(facts.families);
  facts.threatTypes = presentValues(facts.threatTypes);
  facts.tags = caselessUnion(facts.tags);
  for (const ref of model.externalReferences ?? []) {
    if (ref.sourceName === THREATFOX && ref.externalId) facts.threatfoxIds.push(ref.externalId);
    else if (ref.sourceName === 'Reference' && ref.url) facts.references.push(ref.url);
  }
  facts.threatfoxIds = presentValues(facts.threatfoxIds).sort(byNumber);
  facts.references = presentValues(facts.references);
  return facts;
}

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

/** The fields we own, normalised so that the service's re-spelling of a date or re-ordering of a list is no change. */
function ownedFields(m: ThreatIntelligenceIndicatorModel): unknown {
  const list = (v?: string[]) => [...(v ?? [])].sort();
  return {
    source: m.source ?? '',
    displayName: m.displayName ?? '',
    description: m.description ?? '',
    pattern: m.pattern ?? '',
    patternType: (m.patternType ?? '').toLowerCase(),
    threatTypes: list(m.threatTypes),
    labels: list(m.labels),
    confidence: m.confidence ?? null,
    validFrom: epochMs(m.validFrom) ?? null,
    validUntil: epochMs(m.validUntil) ?? null,
    revoked: m.revoked ?? false,
    externalReferences: (m.externalReferences ?? [])
      .map((r) => [r.sourceName ?? '', r.externalId ?? '', r.url ?? ''].join('\u0000'))
      .sort(),
    killChainPhases: (m.killChainPhases ?? []).map((k) => `${k.killChainName ?? ''}\u0000${k.phaseName ?? ''}`).sort(),
  };
}

export function sameIndicator(a: ThreatIntelligenceIndicatorModel, b: ThreatIntelligenceIndicatorModel): boolean {
  return JSON.stringify(ownedFields(a)) === JSON.stringify(ownedFields(b));
}

/**
 * The body to PUT over an existing indicator of ours, or undefined when it already says all of it.
 * What an analyst did in Sentinel survives: `threatIntelligenceTags` are carried over (a PUT
 * replaces) and a revoked indicator stays revoked.
 */
export function reconcileIndicator(
  existing: ThreatIntelligenceIndicatorModel,
  incoming: IndicatorFacts,
  source: string,
): ThreatIntelligenceIndicatorModel | undefined {
  const current = factsFromIndicator(existing);
  const desired = renderIndicator(current ? mergeFacts(current, incoming) : incoming, source);
  // An analyst's revocation (a false positive) outlives any re-report.
  if (existing.revoked === true) desired.revoked = true;
  if (sameIndicator(existing, desired)) return undefined;
  if (existing.threatIntelligenceTags?.length) desired.threatIntelligenceTags = [...existing.threatIntelligenceTags];
  return desired;
}
