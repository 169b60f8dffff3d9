import { falsePositivesFor } from '../content/falsePositives';
import { familyNameFor, familyOf, PROVENANCE_TEXT, provenanceOf } from '../content/family';
import { attackMapping } from '../content/mitre';
import { DEFAULT_LOOKBACK } from '../config';
import { groupBy } from '../groupBy';
import { iocKindOf, type Ioc, type IocKind, type IocType } from '../ioc/types';
import { isIpHost } from '../ioc/urlHost';
import { byCodeUnit } from '../sort';
import { describeInline, iocPhrase } from './describe';
import { behaviourHuntsFor } from './families';
import { huntingQueryId, oneLine, validLookback, type HuntingQuery } from './huntingQuery';
import { iocEntities, type QueryContext } from './queries/common';
import { buildInline, splitIocs } from './split';
import { TABLE_HUNTS } from './tableHunts';

/**
 * The self-contained (inline) form of the hunting queries: the family's IOC lists written into each
 * query. What `--out`, the report and a dry run export; it changes with every IOC.
 */

export interface InlineQueryOptions {
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

const TYPE_ORDER: Record<IocType, number> = { ipv4: 0, ipv6: 1, domain: 2, url: 3, sha256: 4, sha1: 5, md5: 6 };

/** Type, value and port: one hunted value whatever family or metadata it came with. */
function huntedValueKey(ioc: Ioc): string {
  return `${ioc.type}\u0000${ioc.value}\u0000${ioc.port ?? ''}`;
}

function compareIocs(a: Ioc, b: Ioc): number {
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || byCodeUnit(a.value, b.value) || (a.port ?? -1) - (b.port ?? -1);
}

function validMaxChars(max: number): number {
  if (!Number.isInteger(max) || max < 2000)
    throw new RangeError(`maxQueryChars must be a whole number of at least 2000 (got ${max})`);
  return max;
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

/** Whether an IOC gives the hunt something to match: itself, or (a URL) its hunted host. */
function contributes(ioc: Ioc, kinds: readonly IocKind[]): boolean {
  if (kinds.includes(iocKindOf(ioc.type))) return true;
  if (ioc.type !== 'url') return false;
  const host = ioc.huntedHost;
  return !!host && kinds.includes(isIpHost(host) ? 'ip' : 'domain');
}

/**
 * The self-contained (inline) form: one query per family and table that has IOCs for it, split
 * into parts when needed, plus the family's behaviour hunts. This is what `--out`, the report and a
 * dry run show. Pure and deterministic: the same IOC set in any order gives byte-identical queries.
 */
export function buildInlineQueries(iocs: Ioc[], options: InlineQueryOptions = {}): HuntingQuery[] {
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

/** Tables of a family that needed more than MANY_PARTS inline parts: what the CLI warns about. */
export function heavilySplit(queries: readonly HuntingQuery[]): { family: string; table: string; parts: number }[] {
  const out: { family: string; table: string; parts: number }[] = [];
  for (const q of queries)
    if (q.part && q.part.index === 1 && q.part.of > MANY_PARTS)
      out.push({ family: q.family, table: q.table, parts: q.part.of });
  return out;
}
