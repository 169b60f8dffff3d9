import { falsePositivesFor } from '../content/falsePositives';
import { familyNameFor, familyOf, INDICATORS_PROVENANCE } from '../content/family';
import { attackMapping } from '../content/mitre';
import { DEFAULT_LOOKBACK } from '../config';
import { groupBy } from '../groupBy';
import type { Ioc, IocKind } from '../ioc/types';
import { byCodeUnit } from '../sort';
import { describeThreatIntel } from './describe';
import { behaviourHuntsFor } from './families';
import { huntingQueryId, oneLine, validLookback, type HuntingQuery } from './huntingQuery';
import { iocEntities, type TableHunt } from './queries/common';
import { TABLE_HUNTS } from './tableHunts';
import { threatIntelSource } from './threatIntelSource';

/**
 * The form written to Sentinel as saved searches: per family and table, a query that reads the
 * family's indicators from ThreatIntelIndicators when it runs, so its text never moves with the feed.
 */

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

const FILE_KINDS: readonly IocKind[] = ['sha256', 'sha1', 'md5'];

/** The threat types a table's hits can stand for, so the ThreatIntel form's tags need no IOC. */
function threatTypesOf(hunt: TableHunt): string[] {
  const out: string[] = [];
  if (hunt.kinds.some((k) => !FILE_KINDS.includes(k))) out.push('botnet_cc', 'payload_delivery');
  if (hunt.kinds.some((k) => FILE_KINDS.includes(k))) out.push('payload');
  return out;
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
