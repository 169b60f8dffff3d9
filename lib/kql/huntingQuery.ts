import { createHash } from 'crypto';
import { kqlCommentText, type EntityMapping } from './queries/common';
import type { QueryForm } from './source';

export interface HuntingQuery {
  /** Saved-search id: stable per family + table (+ part), lower-case letters, digits and hyphens. */
  id: string;
  family: string;
  familyName: string;
  /** The table or ASIM parser the query reads (for a behaviour hunt, its main table). */
  table: string;
  /**
   * `threatIntel`: reads the IOCs from ThreatIntelIndicators (what is written to Sentinel);
   * `inline`: carries them (export); `behaviour`: needs no IOC (the same text in both outputs).
   */
  form: QueryForm | 'behaviour';
  name: string;
  description: string;
  /** Sentinel tactic names (CommandAndControl, InitialAccess, ...). */
  tactics: string[];
  /** ATT&CK technique ids (T1219, ...). */
  techniques: string[];
  requiredTables: string[];
  requiredDataConnectors: { connectorId: string; dataTypes: string[] }[];
  entityMappings: EntityMapping[];
  falsePositives: { scenario: string; guidance: string }[];
  query: string;
  /** Inline form: how many IOCs the query holds. */
  iocCount?: number;
  /** Inline form: the latest first- or last-seen time of its IOCs (ISO 8601), which the YAML version counts from. */
  iocsAsOf?: string;
  part?: { index: number; of: number };
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

/**
 * `<family>-<table>` (part N of an inline query: `-partN`). The saved search of a table has the id
 * its first inline part has, so moving from the old split layout to one search per table keeps it.
 */
export function huntingQueryId(familyId: string, table: string, partIndex = 1): string {
  const base = `${familySlug(familyId)}-${table
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')}`;
  return partIndex > 1 ? `${base}-part${partIndex}` : base;
}

/** A KQL timespan of the form HUNTING_LOOKBACK allows (`14d`, `12h`, `30m`), or a RangeError. */
export function validLookback(lookback: string): string {
  if (!/^[1-9]\d{0,3}[dhm]$/.test(lookback)) {
    throw new RangeError(`lookback must be a KQL timespan such as 14d, 12h or 30m (got ${JSON.stringify(lookback)})`);
  }
  return lookback;
}

/** A display name for a comment or a title: one line, nothing that could end the comment. */
export function oneLine(text: string): string {
  return kqlCommentText(text).replace(/\s+/g, ' ');
}
