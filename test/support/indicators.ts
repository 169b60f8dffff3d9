import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import type { Ioc } from '../../lib/ioc/types';
import { factsFromIocs, renderIndicator, type IndicatorOptions } from '../../lib/sentinel/indicator';

/** The body the writer renders for one IOC alone: the tests' shorthand for an indicator we wrote. */
export function toIndicator(ioc: Ioc, options: IndicatorOptions): ThreatIntelligenceIndicatorModel {
  return renderIndicator(factsFromIocs([ioc], options), options.source);
}
