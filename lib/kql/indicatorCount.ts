import { threatIntelSource } from './threatIntelSource';

/**
 * The check's question to ThreatIntelIndicators: which of our indicators the saved searches of a
 * family select when they run. It reuses the hunts' own source (the `ourIndicators` statement they
 * start with), so a change to how hunts select indicators changes this count with them. Active
 * ones only (not past ValidUntil, or ExpirationDateTime where the table has it instead), as ARM's
 * list is compared by the same rule. `starttime` is now: the hunts read indicators from
 * `starttime - 14d`, the same window.
 */
export function ourIndicatorValuesQuery(options: { familyId: string; indicatorSource: string }): string {
  const source = threatIntelSource(options);
  return `let starttime = now();
${source.lets([])}
ourIndicators
| where Expires > now()
| summarize Values = make_set(tolower(ObservableValue), 1000000)`;
}
