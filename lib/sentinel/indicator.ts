import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import {
  byNumber,
  caselessUnion,
  CONFIRMED,
  isReservedLabel,
  LABEL,
  laterDay,
  mergeFacts,
  presentValues,
  SUBMITTED_BY_HAND_LABEL,
  THREATFOX,
  type IndicatorFacts,
} from './indicatorFacts';
import { renderIndicator, sameIndicator } from './indicatorBody';
import { parsePattern } from './stix';

/**
 * Indicator → facts, and back again: what an indicator we wrote says (read from its labels and
 * references), and the body to PUT over it given new facts (lib/sentinel/indicatorFacts.ts builds
 * the facts from IOCs, lib/sentinel/indicatorBody.ts renders them).
 */

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
