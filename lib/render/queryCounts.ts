/**
 * The two hunting-query counts of a run, said the same way by the CLI summary and report.md. A sync
 * writes one saved search per table and behaviour hunt (they read ThreatIntelIndicators, so they do
 * not depend on the IOC set); the export (hunting-queries/, the inline form) holds only the tables
 * this IOC set reaches, with long IOC lists split into parts.
 */
export interface HuntingQueryCounts {
  /** Saved searches a sync writes to Sentinel; left unsaid when unknown. */
  savedSearches?: number;
  /** Inline (export) queries, parts counted one by one. */
  exported: number;
  /** Families of the run: with several, there is a saved search per family and table. */
  families?: number;
  /** Whether an exported query was split into parts. */
  split?: boolean;
}

/** `15 saved searches in Sentinel (one per table and behaviour hunt), 14 exported (only the tables this IOC set reaches)`. */
export function huntingQueryCountsText(c: HuntingQueryCounts): string {
  if (c.exported === 0 && !c.savedSearches) return 'none';
  const exported = `${c.exported} exported (only the tables this IOC set reaches${c.split ? '; long IOC lists in parts' : ''})`;
  if (c.savedSearches === undefined) return exported;
  const per =
    (c.families ?? 1) > 1 ? 'one per family and table, and per behaviour hunt' : 'one per table and behaviour hunt';
  return `${c.savedSearches} saved search${c.savedSearches === 1 ? '' : 'es'} in Sentinel (${per}), ${exported}`;
}
