import type { TokenCredential } from '@azure/identity';
import type { SentinelTarget } from '../config';
import type { SentinelStores } from './stores';
import { connectWorkspaces } from './workspaceSync';

/**
 * One workspace as the writer sees it: TI indicators and saved searches behind small stores.
 * Several workspaces (SENTINEL_WORKSPACES) connect through `connectWorkspaces`, which this wraps.
 */
export function connectSentinel(
  target: SentinelTarget,
  options: { credential?: TokenCredential; tlsCa?: string } = {},
): SentinelStores {
  const [stores] = connectWorkspaces([target], options);
  if (stores === undefined) throw new Error('connectSentinel: no stores for the workspace'); // one per target
  return stores;
}
