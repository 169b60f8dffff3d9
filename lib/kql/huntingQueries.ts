import { falsePositivesFor } from '../content/falsePositives';
import { familyNameFor, familyOf, INDICATORS_PROVENANCE, PROVENANCE_TEXT, provenanceOf } from '../content/family';
import { attackMapping } from '../content/mitre';
import { DEFAULT_LOOKBACK } from '../config';
import { groupBy } from '../groupBy';
import type { Ioc, IocKind, IocType } from '../ioc/types';
import { asimDnsActivityLogsHunt } from './queries/asimDnsActivityLogs';
import { imDnsHunt, imNetworkSessionHunt, imWebSessionHunt } from './queries/asimParsers';
import { byCodeUnit } from '../sort';
import { behaviourHuntsFor } from './families';
import { huntingQueryId, type HuntingQuery } from './huntingQuery';
import { iocEntities, kqlCommentText, type QueryContext, type TableHunt } from './queries/common';
import { commonSecurityLogHunt } from './queries/commonSecurityLog';
import { deviceFileEventsHunt } from './queries/deviceFileEvents';
import { deviceNetworkEventsHunt } from './queries/deviceNetworkEvents';
import { deviceProcessEventsHunt } from './queries/deviceProcessEvents';
import { dnsEventsHunt } from './queries/dnsEvents';
import { emailUrlInfoHunt } from './queries/emailUrlInfo';
import { urlClickEventsHunt } from './queries/urlClickEvents';
import { describeInline, describeThreatIntel, iocPhrase } from './describe';
import { buildInline, splitIocs } from './split';
import { threatIntelSource } from './threatIntelSource';
import { isIpHost } from '../ioc/urlHost';

export { huntingQueryId, isHuntingQueryIdOf, type HuntingQuery } from './huntingQuery';

export interface HuntingQueryOptions {
  /** Upper bound on each inline query's length in characters; a family's IOCs are split over parts to stay under it. */
  maxQueryChars?: number;
  /** KQL timespan the queries look back over, e.g. `14d` (HUNTING_LOOKBACK). */
  lookback?: string;
}

/**
 * 60,000 characters per inline query. 10,000 is the limit Microsoft Sentinel puts on a scheduled
 * analytics rule's query, not on a hunting query: a hunting query is a Log Analytics saved search,
 * whose `query` has no length limit in its API (Microsoft.OperationalInsights SavedSearches.json,
 * 2020-08-01, no maxLength), and Azure Monitor's service limits name none for log query text. The
 * nearest published bound on a stored Log Analytics query is 64 KB, the total size of a log search
 * alert rule's properties (Azure Monitor service limits, "Log alerts"); 60,000 characters of this
 * (ASCII) text stays under it with room for the rule's other fields, so a part can still become an
 * alert rule. Bigger families are split into parts rather than truncated, and a part's `has_any`
 * lists also stay within MAX_HAS_ANY values.
 */
export const DEFAULT_MAX_QUERY_CHARS = 60_000;
/** More parts than this for one table is more than an analyst will run by hand: the CLI says so. */
export const MANY_PARTS = 3;

/** The hunts, in the order queries are emitted for a family. */
export const TABLE_HUNTS: readonly TableHunt[] = [
  commonSecurityLogHunt,
  deviceNetworkEventsHunt,
  dnsEventsHunt,
  asimDnsActivityLogsHunt,
  imDnsHunt,
  imNetworkSessionHunt,
  imWebSessionHunt,
  urlClickEventsHunt,
  emailUrlInfoHunt,
  deviceFileEventsHunt,
  deviceProcessEventsHunt,
];

export function tableHunt(table: string): TableHunt | undefined {
  return TABLE_HUNTS.find((h) => h.table === table);
}

const TYPE_ORDER: Record<IocType, number> = { ipv4: 0, ipv6: 1, domain: 2, url: 3, sha256: 4, sha1: 5, md5: 6 };

/** Type, value and port: one hunted value whatever family or metadata it came with. */
function huntedValueKey(ioc: Ioc): string {
  return `${ioc.type}\u0000${ioc.value}\u0000${ioc.port ?? ''}`;
}

function compareIocs(a: Ioc, b: Ioc): number {
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || byCodeUnit(a.value, b.value) || (a.port ?? -1) - (b.port ?? -1);
}

export function validLookback(lookback: string): string {
  if (!/^[1-9]\d{0,3}[dhm]$/.test(lookback)) {
    throw new RangeError(`lookback must be a KQL timespan such as 14d, 12h or 30m (got ${JSON.stringify(lookback)})`);
  }
  return lookback;
}

function validMaxChars(max: number): number {
  if (!Number.isInteger(max) || max < 2000)
    throw new RangeError(`maxQueryChars must be a whole number of at least 2000 (got ${max})`);
  return max;
}

function oneLine(text: string): string {
  return kqlCommentText(text).replace(/\s+/g, ' ');
}

/** `{ iocsAsOf }`: the latest first- or last-seen time of these IOCs, when any has one. */
function latestSeen(iocs: readonly Ioc[]): { iocsAsOf?: string } {
  let latest = -Infinity;
  for (const ioc of iocs) {
    for (const t of [ioc.firstSeen, ioc.lastSeen]) {
      const ms = t ? Date.parse(t) : NaN;
      if (ms > latest) latest = ms;
    }
  }
  return latest === -Infinity ? {} : { iocsAsOf: new Date(latest).toISOString() };
}

/** Sorted, deduplicated (type, value, port) IOCs of one family. */
function uniqueSorted(iocs: readonly Ioc[]): Ioc[] {
  const byKey = new Map<string, Ioc>();
  for (const ioc of iocs) if (!byKey.has(huntedValueKey(ioc))) byKey.set(huntedValueKey(ioc), ioc);
  return [...byKey.values()].sort(compareIocs);
}

const IOC_KIND: Partial<Record<IocType, IocKind>> = {
  ipv4: 'ip',
  ipv6: 'ip',
  domain: 'domain',
  url: 'url',
  sha256: 'sha256',
  sha1: 'sha1',
  md5: 'md5',
};

/** Whether an IOC gives the hunt something to match: itself, or (a URL) its hunted host. */
function contributes(ioc: Ioc, kinds: readonly IocKind[]): boolean {
  if (kinds.includes(IOC_KIND[ioc.type]!)) return true;
  if (ioc.type !== 'url') return false;
  const host = ioc.huntedHost;
  return !!host && kinds.includes(isIpHost(host) ? 'ip' : 'domain');
}

const FILE_KINDS: readonly IocKind[] = ['sha256', 'sha1', 'md5'];

/** The threat types a table's hits can stand for, so the ThreatIntel form's tags need no IOC. */
function threatTypesOf(hunt: TableHunt): string[] {
  const out: string[] = [];
  if (hunt.kinds.some((k) => !FILE_KINDS.includes(k))) out.push('botnet_cc', 'payload_delivery');
  if (hunt.kinds.some((k) => FILE_KINDS.includes(k))) out.push('payload');
  return out;
}

/**
 * The self-contained (inline) form: one query per family and table that has IOCs for it, split
 * into parts when needed, plus the family's behaviour hunts. This is what `--out`, the report and a
 * dry run show. Pure and deterministic: the same IOC set in any order gives byte-identical queries.
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
      const selected = familyIocs.filter((i) => hunt.iocTypes.includes(i.type) && contributes(i, hunt.kinds));
      if (selected.length === 0) continue;
      // Once per table, not per part: it reads every IOC of the table.
      const provenance = PROVENANCE_TEXT[provenanceOf(selected)];
      const baseCtx: QueryContext = {
        familyId: family,
        familyName,
        lookback,
        provenance: provenance.long,
      };
      const parts = splitIocs(hunt, selected, baseCtx, max);
      parts.forEach((partIocs, i) => {
        const part = parts.length > 1 ? { index: i + 1, of: parts.length } : undefined;
        const attack = attackMapping(
          family,
          partIocs.map((x) => x.threatType),
          partIocs.map((x) => x.type),
        );
        const partName = part ? ` (part ${part.index} of ${part.of})` : '';
        const query = buildInline(hunt, partIocs, { ...baseCtx, part });
        queries.push({
          id: huntingQueryId(family, hunt.table, part?.index),
          family,
          familyName,
          table: hunt.table,
          form: 'inline',
          name: `${familyName} ${iocPhrase(partIocs)} in ${hunt.table} (${provenance.short})${partName}`,
          description: describeInline(hunt, familyName, partIocs, { lookback, query, part }),
          tactics: attack.tactics,
          techniques: attack.techniques,
          requiredTables: [hunt.table, ...(hunt.alsoReads ?? [])],
          requiredDataConnectors: hunt.requiredDataConnectors.map((c) => ({
            connectorId: c.connectorId,
            dataTypes: [...c.dataTypes],
          })),
          entityMappings: [...hunt.entityMappings, ...iocEntities(hunt.kinds)],
          falsePositives: falsePositivesFor(
            hunt.table,
            partIocs.map((x) => x.type),
            family,
          ),
          query,
          iocCount: partIocs.length,
          ...latestSeen(partIocs),
          ...(part ? { part } : {}),
        });
      });
    }
    queries.push(...behaviourHuntsFor(family, { familyName, lookback }));
  }
  return queries;
}

export interface SavedSearchFamily {
  /** ThreatFox malware id. */
  id: string;
  /** Display name (ThreatFox malware_printable or our own). */
  name: string;
}

export interface ThreatIntelQueryOptions {
  /** INDICATOR_SOURCE: the SourceSystem our indicators carry in ThreatIntelIndicators. */
  indicatorSource: string;
  lookback?: string;
}

/**
 * The form written to Sentinel: per family, one query per table that reads the family's indicators
 * from ThreatIntelIndicators, plus its behaviour hunts. Depends on the family and the settings only,
 * never on the IOC set, so the number and text of saved searches do not move with the feed.
 */
export function buildThreatIntelQueries(
  families: readonly SavedSearchFamily[],
  options: ThreatIntelQueryOptions,
): HuntingQuery[] {
  const lookback = validLookback(options.lookback ?? DEFAULT_LOOKBACK);
  const queries: HuntingQuery[] = [];
  for (const family of [...families].sort((a, b) => byCodeUnit(a.id, b.id))) {
    const familyName = oneLine(family.name) || family.id;
    const source = threatIntelSource({ familyId: family.id, indicatorSource: options.indicatorSource });
    for (const hunt of TABLE_HUNTS) {
      const attack = attackMapping(family.id, threatTypesOf(hunt), hunt.iocTypes);
      const query = hunt.build(source, {
        familyId: family.id,
        familyName,
        lookback,
        provenance: INDICATORS_PROVENANCE,
      });
      queries.push({
        id: huntingQueryId(family.id, hunt.table),
        family: family.id,
        familyName,
        table: hunt.table,
        form: 'threatIntel',
        name: `${familyName} indicators in ${hunt.table} (ThreatIntelIndicators)`,
        description: describeThreatIntel(hunt, familyName, lookback, query),
        tactics: attack.tactics,
        techniques: attack.techniques,
        requiredTables: [hunt.table, ...(hunt.alsoReads ?? []), 'ThreatIntelIndicators'],
        requiredDataConnectors: [
          ...hunt.requiredDataConnectors.map((c) => ({ connectorId: c.connectorId, dataTypes: [...c.dataTypes] })),
          { connectorId: 'ThreatIntelligence', dataTypes: ['ThreatIntelIndicators'] },
        ],
        entityMappings: [...hunt.entityMappings, ...iocEntities(hunt.kinds)],
        falsePositives: falsePositivesFor(hunt.table, hunt.iocTypes, family.id),
        query,
      });
    }
    queries.push(...behaviourHuntsFor(family.id, { familyName, lookback }));
  }
  return queries;
}

/** The families of these IOCs with their display names: what a sync writes saved searches for. */
export function familiesOf(iocs: readonly Ioc[]): SavedSearchFamily[] {
  const byFamily = groupBy(
    iocs.filter((i) => i.malware),
    familyOf,
  );
  return [...byFamily.entries()].map(([id, group]) => ({ id, name: familyNameFor(id, group) }));
}

/** Tables of a family that needed more than MANY_PARTS inline parts: what the CLI warns about. */
export function heavilySplit(queries: readonly HuntingQuery[]): { family: string; table: string; parts: number }[] {
  const out: { family: string; table: string; parts: number }[] = [];
  for (const q of queries)
    if (q.part && q.part.index === 1 && q.part.of > MANY_PARTS)
      out.push({ family: q.family, table: q.table, parts: q.part.of });
  return out;
}
