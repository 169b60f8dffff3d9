/**
 * A state-table RowKey for a free-form id (a family, a run id). RowKey may not hold `/ \\ # ?` or
 * control characters: those are percent-encoded (and `%` itself, so the mapping stays one-to-one);
 * ThreatFox ids like `win.netsupportmanager_rat` pass through unchanged.
 */
export function safeRowKey(id: string): string {
  return id.replace(/[%/\\#?\p{Cc}]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
