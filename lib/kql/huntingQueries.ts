import { createHash } from 'crypto';
import { falsePositivesFor } from '../content/falsePositives';
import { familyNameFor, familyOf } from '../content/family';
import { groupBy } from '../groupBy';
import { attackMapping } from '../content/mitre';
import type { Ioc, IocType } from '../ioc/types';
import { asimDnsActivityLogsHunt } from './queries/asimDnsActivityLogs';
import { byCodeUnit, describeIocMix, kqlCommentText, type QueryContext, type TableHunt } from './queries/common';
import { commonSecurityLogHunt } from './queries/commonSecurityLog';
import { deviceFileEventsHunt } from './queries/deviceFileEvents';
import { deviceNetworkEventsHunt } from './queries/deviceNetworkEvents';
import { deviceProcessEventsHunt } from './queries/deviceProcessEvents';
import { dnsEventsHunt } from './queries/dnsEvents';
import { urlClickEventsHunt } from './queries/urlClickEvents';
import type { HuntedTable } from './tables';

export interface HuntingQuery {
  /** Saved-search id: stable per family + table (+ part), lower-case letters, digits and hyphens. */
  id: string;
  family: string;
  familyName: string;
  table: string;
  name: string;
  description: string;
  /** Sentinel tactic names (CommandAndControl, InitialAccess, ...). */
  tactics: string[];
  /** ATT&CK technique ids (T1219, ...). */
  techniques: string[];
  requiredTables: string[];
  requiredDataConnectors: { connectorId: string; dataTypes: string[] }[];
  falsePositives: { scenario: string; guidance: string }[];
  query: string;
  iocCount: number;
  part?: { index: number; of: number };
}

export interface HuntingQueryOptions {
  /** Upper bound on each query's length in characters; a family's IOCs are split over parts to stay under it. */
  maxQueryChars?: number;
  /** KQL timespan the queries look back over, e.g. `14d`. */
  lookback?: string;
}

/**
 * 10,000 characters per query. Log Analytics itself accepts far longer query text, but 10,000 is
 * the limit Microsoft Sentinel puts on a scheduled analytics rule's query, and the Azure-Sentinel
 * issue tracker has hunting queries with large inline lists that the portal would not save. At
 * this size a query can be saved from the portal, promoted to an analytics rule unchanged, and
 * still holds a few hundred IOCs; bigger families are split into parts rather than truncated.
 */
export const DEFAULT_MAX_QUERY_CHARS = 10_000;
export const DEFAULT_LOOKBACK = '14d';

/** The hunts, in the order queries are emitted for a family. */
export const TABLE_HUNTS: readonly TableHunt[] = [
  commonSecurityLogHunt,
  deviceNetworkEventsHunt,
  dnsEventsHunt,
  asimDnsActivityLogsHunt,
  urlClickEventsHunt,
  deviceFileEventsHunt,
  deviceProcessEventsHunt,
];

export function tableHunt(table: string): TableHunt | undefined {
  return TABLE_HUNTS.find((h) => h.table === table);
}

const TYPE_ORDER: Record<IocType, number> = { ipv4: 0, ipv6: 1, domain: 2, url: 3, sha256: 4, sha1: 5, md5: 6 };

function iocKey(ioc: Ioc): string {
  return `${ioc.type}\u0000${ioc.value}\u0000${ioc.port ?? ''}`;
}

function compareIocs(a: Ioc, b: Ioc): number {
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || byCodeUnit(a.value, b.value) || (a.port ?? -1) - (b.port ?? -1);
}

/** `win.netsupportmanager_rat` → `threatfox-win-netsupportmanager-rat-3c1f0a`: the hash keeps ids distinct after slugging. */
function familySlug(familyId: string): string {
  const slug = familyId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(familyId).digest('hex').slice(0, 6);
  return `threatfox-${slug || 'family'}-${hash}`;
}

/** True for an id `huntingQueryId` could have made for this family (any table, any part). */
export function isHuntingQueryIdOf(familyId: string, id: string): boolean {
  return id.toLowerCase().startsWith(`${familySlug(familyId)}-`);
}

export function huntingQueryId(familyId: string, table: string, partIndex = 1): string {
  const base = `${familySlug(familyId)}-${table.toLowerCase()}`;
  return partIndex > 1 ? `${base}-part${partIndex}` : base;
}

function validLookback(lookback: string): string {
  if (!/^[1-9]\d{0,3}[dhm]$/.test(lookback)) {
    throw new RangeError(`lookback must be a KQL timespan such as 14d, 12h or 30m (got ${JSON.stringify(lookback)})`);
  }
  return lookback;
}

function validMaxChars(max: number): number {
  if (!Number.isInteger(max) || max < 2000) throw new RangeError(`maxQueryChars must be a whole number of at least 2000 (got ${max})`);
  return max;
}

const ROLE_BY_THREAT: Record<string, string> = { botnet_cc: 'C2', payload_delivery: 'payload', payload: 'payload', cc_skimming: 'skimmer' };
const ROLE_ORDER = ['C2', 'payload', 'skimmer'];
const NOUN_ORDER: [IocType[], string][] = [
  [['ipv4', 'ipv6'], 'IPs'],
  [['domain'], 'domains'],
  [['url'], 'URLs'],
  [['sha256', 'sha1', 'md5'], 'hashes'],
];

function englishList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "C2 and payload IPs and domains": what the IOCs are, from their threat types and kinds. */
function iocPhrase(iocs: readonly Ioc[]): string {
  const roles = new Set(iocs.map((i) => (i.threatType ? ROLE_BY_THREAT[i.threatType] : undefined)).filter(Boolean));
  const roleText = englishList(ROLE_ORDER.filter((r) => roles.has(r)));
  const nouns = englishList(NOUN_ORDER.filter(([types]) => iocs.some((i) => types.includes(i.type))).map(([, noun]) => noun));
  return roleText ? `${roleText} ${nouns}` : `known-bad ${nouns}`;
}

function oneLine(text: string): string {
  return kqlCommentText(text).replace(/\s+/g, ' ');
}

function describe(hunt: TableHunt, familyName: string, iocs: readonly Ioc[], part?: { index: number; of: number }): string {
  const count = iocs.length === 1 ? '1 abuse.ch ThreatFox IOC' : `${iocs.length} abuse.ch ThreatFox IOCs`;
  const partText = part ? ` Part ${part.index} of ${part.of}: run every part.` : '';
  const triage = hunt.triage.charAt(0).toUpperCase() + hunt.triage.slice(1);
  return `Finds ${count} of ${familyName} (${describeIocMix(iocs)}) in ${hunt.dataDescription}. ${hunt.hitMeaning} Triage: ${triage}${partText}`;
}

/** Sorted, deduplicated (type, value, port) IOCs of one family. */
function uniqueSorted(iocs: readonly Ioc[]): Ioc[] {
  const byKey = new Map<string, Ioc>();
  for (const ioc of iocs) if (!byKey.has(iocKey(ioc))) byKey.set(iocKey(ioc), ioc);
  return [...byKey.values()].sort(compareIocs);
}

/**
 * Splits sorted IOCs into consecutive runs whose query fits `max`. Greedy from the front, so
 * growing a family rewrites only its last part. A single IOC that alone exceeds the limit still
 * gets a part of its own: dropping it silently would be worse than an oversize query.
 */
function split(hunt: TableHunt, iocs: readonly Ioc[], ctx: QueryContext, max: number): Ioc[][] {
  if (hunt.build(iocs, ctx).length <= max) return [iocs.slice()];
  // Measure with the widest part label we could print, so renumbering cannot push a part over.
  const probe: QueryContext = { ...ctx, part: { index: 9999, of: 9999 } };
  const fits = (from: number, count: number) => hunt.build(iocs.slice(from, from + count), probe).length <= max;
  const parts: Ioc[][] = [];
  let start = 0;
  while (start < iocs.length) {
    const left = iocs.length - start;
    let good = 0;
    let step = 1;
    while (good + step <= left && fits(start, good + step)) {
      good += step;
      step *= 2;
    }
    // Binary search between the last size that fit and the first that did not.
    let lo = good;
    let hi = Math.min(good + step, left + 1);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(start, mid)) lo = mid;
      else hi = mid;
    }
    const take = Math.max(lo, 1);
    parts.push(iocs.slice(start, start + take));
    start += take;
  }
  return parts;
}

/**
 * One hunting query per family and table that has IOCs for it (split into parts when needed).
 * Pure and deterministic: the same IOC set in any order gives byte-identical queries.
 */
export function buildHuntingQueries(iocs: Ioc[], options: HuntingQueryOptions = {}): HuntingQuery[] {
  const max = validMaxChars(options.maxQueryChars ?? DEFAULT_MAX_QUERY_CHARS);
  const lookback = validLookback(options.lookback ?? DEFAULT_LOOKBACK);

  const byFamily = groupBy(iocs, familyOf);

  const queries: HuntingQuery[] = [];
  for (const family of [...byFamily.keys()].sort(byCodeUnit)) {
    const familyIocs = uniqueSorted(byFamily.get(family)!);
    const familyName = oneLine(familyNameFor(family, familyIocs)) || family;
    for (const hunt of TABLE_HUNTS) {
      const selected = familyIocs.filter((i) => hunt.iocTypes.includes(i.type));
      if (selected.length === 0) continue;
      const baseCtx: QueryContext = { familyId: family, familyName, lookback };
      const parts = split(hunt, selected, baseCtx, max);
      parts.forEach((partIocs, i) => {
        const part = parts.length > 1 ? { index: i + 1, of: parts.length } : undefined;
        const attack = attackMapping(family, partIocs.map((x) => x.threatType), partIocs.map((x) => x.type));
        const partName = part ? ` (part ${part.index} of ${part.of})` : '';
        queries.push({
          id: huntingQueryId(family, hunt.table, part?.index),
          family,
          familyName,
          table: hunt.table,
          name: `${familyName} ${iocPhrase(partIocs)} in ${hunt.table} (ThreatFox)${partName}`,
          description: describe(hunt, familyName, partIocs, part),
          tactics: attack.tactics,
          techniques: attack.techniques,
          requiredTables: [hunt.table],
          requiredDataConnectors: hunt.requiredDataConnectors.map((c) => ({ connectorId: c.connectorId, dataTypes: [...c.dataTypes] })),
          falsePositives: falsePositivesFor(hunt.table as HuntedTable, partIocs.map((x) => x.type), family),
          query: hunt.build(partIocs, { ...baseCtx, part }),
          iocCount: partIocs.length,
          ...(part ? { part } : {}),
        });
      });
    }
  }
  return queries;
}
