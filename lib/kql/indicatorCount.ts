import { threatIntelSource } from './source';

/**
 * The check's question to ThreatIntelIndicators: which of our indicators the saved searches of a
 * family select when they run. It reuses the hunts' own source (the `ourIndicators` statement they
 * start with), so a change to how hunts select indicators changes this count with them. Active
 * ones only (not past ValidUntil), as ARM's list is compared by the same rule.
 */
export function ourIndicatorValuesQuery(options: { familyId: string; indicatorSource: string }): string {
  const source = threatIntelSource(options);
  return `${source.lets([])}
ourIndicators
| where isnull(ValidUntil) or ValidUntil > now()
| summarize Values = make_set(tolower(ObservableValue), 1000000)`;
}
