import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import type { Ioc } from '../../lib/ioc/types';
import { renderIndicator } from '../../lib/sentinel/indicatorBody';
import { factsFromIocs, groupByObservable, type IndicatorOptions } from '../../lib/sentinel/indicatorFacts';

/** The body the writer renders for one IOC alone: the tests' shorthand for an indicator we wrote. */
export function toIndicator(ioc: Ioc, options: IndicatorOptions): ThreatIntelligenceIndicatorModel {
  return renderIndicator(factsFromIocs([ioc], options), options.source);
}

/** One indicator body per observable: what a dry run would write for these IOCs alone. */
export function planIndicators(iocs: Ioc[], options: IndicatorOptions): ThreatIntelligenceIndicatorModel[] {
  return [...groupByObservable(iocs).values()].map((group) =>
    renderIndicator(factsFromIocs(group, options), options.source),
  );
}
