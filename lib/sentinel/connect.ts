import type { TokenCredential } from '@azure/core-auth';
import type { SentinelTarget } from '../config';
import type { SentinelStores } from '../pipeline';
import { createArmClients } from './armClients';
import { createCredential } from './credential';
import { armIndicatorStore } from './indicatorStore';
import { armSavedSearchStore } from './savedSearchStore';

/** The Sentinel workspace as the writer sees it: TI indicators and saved searches behind small stores. */
export function connectSentinel(
  target: SentinelTarget,
  options: { credential?: TokenCredential; tlsCa?: string } = {},
): SentinelStores {
  const credential = options.credential ?? createCredential(process.env);
  const clients = createArmClients(target, { credential, tlsCa: options.tlsCa });
  return {
    indicators: armIndicatorStore(clients.securityInsights, target),
    savedSearches: armSavedSearchStore(clients.operationalInsights, target),
  };
}
