import type { TokenCredential } from '@azure/identity';
import { appEnv, type SentinelTarget } from '../config';
import type { Logger } from '../logger';
import type { TransportOverrides } from '../net/transportOverrides';
import { workspaceLabel, type WorkspaceRef } from '../workspaceRef';
import { createArmClients } from './armClients';
import { armIndicatorStore } from './armIndicatorStore';
import { createCredential } from './credential';
import { armSavedSearchStore } from './savedSearchStore';
import type { WorkspaceStores } from './stores';
import { createUploadClient, DEFAULT_UPLOAD_ENDPOINT } from './uploadClient';
import { uploadIndicatorStore } from './uploadStore';
import { armWorkspaceTables } from './workspaceTables';

export interface ConnectOptions {
  credential?: TokenCredential;
  logger?: Logger;
  /** The local fakes' CA, backoffs and pacing (tests, bench); none in a deployment. */
  transport?: TransportOverrides;
}

/**
 * The stores of every target workspace, sharing one credential (tokens are reused) and, on the
 * upload path, one upload client. The upload path's workspace id (`properties.customerId`) is read
 * from ARM once per workspace, on its first write.
 */
export function connectWorkspaces(targets: readonly SentinelTarget[], options: ConnectOptions = {}): WorkspaceStores[] {
  const credential = options.credential ?? createCredential(appEnv());
  const transport = options.transport ?? {};
  const first = targets[0];
  const upload =
    first && first.writePath === 'upload'
      ? createUploadClient({
          endpoint: first.uploadEndpoint ?? DEFAULT_UPLOAD_ENDPOINT,
          credential,
          sourceSystem: first.source,
          maxRetries: first.maxRetries,
          tlsCa: transport.tlsCa,
          logger: options.logger,
          maxRetryAfterMs: transport.upload?.maxRetryAfterMs,
          retryDelayMs: transport.upload?.retryDelayMs,
          timeoutMs: transport.upload?.timeoutMs,
          pace: transport.upload?.pace,
        })
      : undefined;
  return targets.map((target) => {
    const clients = createArmClients(target, { credential, transport });
    const arm = armIndicatorStore(clients.securityInsights, target);
    const workspace: WorkspaceRef = {
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      workspaceName: target.workspaceName,
    };
    const savedSearches = armSavedSearchStore(clients.operationalInsights, target);
    const tables = armWorkspaceTables(clients.operationalInsights, target);
    if (!upload) return { workspace, indicators: arm, savedSearches, tables };
    const indicators = uploadIndicatorStore({
      arm,
      client: upload,
      source: target.source,
      batchesInFlight: transport.upload?.batchesInFlight,
      workspaceId: async () => {
        const ws = await clients.operationalInsights.workspaces.get(target.resourceGroup, target.workspaceName);
        if (!ws.customerId)
          throw new Error(`workspace ${workspaceLabel(workspace)} has no customerId (Log Analytics workspace id)`);
        return ws.customerId;
      },
    });
    return { workspace, indicators, savedSearches, tables, writeConcurrency: indicators.writeConcurrency };
  });
}
