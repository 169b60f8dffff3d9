import { errorLine } from '../errors';
import type { TokenCredential } from '@azure/identity';
import { appEnv, type SentinelTarget } from '../config';
import { silentLogger, type Logger } from '../logger';
import type { TransportOverrides } from '../net/transportOverrides';
import { createArmClients } from './armClients';
import { createCredential } from './credential';
import { armIndicatorStore } from './armIndicatorStore';
import { armSavedSearchStore } from './savedSearchStore';
import type { PublishResult, SentinelStores } from './stores';
import { createUploadClient, DEFAULT_UPLOAD_ENDPOINT } from './uploadClient';
import { uploadIndicatorStore } from './uploadStore';
import { armWorkspaceTables, type SkippedHunt } from './workspaceTables';
import { addCounts, zeroCounts, type ItemFailure, type WriteCounts } from './writeCounts';
import { workspaceLabel, workspaceResourceId, type WorkspaceRef } from '../workspaceRef';
import { forEachWorkspace } from './workspaces';

/**
 * Several workspaces from one pull: each workspace gets its own read of our indicators, its own
 * writes and its own counts; one failing (denied, not found, throttled past every retry) is
 * reported and the others carry on. Workspaces of one subscription take turns (ARM throttles
 * writes per subscription); different subscriptions run side by side.
 */

/** One workspace's stores, named. */
export interface WorkspaceStores extends SentinelStores {
  workspace: WorkspaceRef;
  /** Writer concurrency that keeps this workspace's store busy (the upload path batches 100 at a time). */
  writeConcurrency?: number;
}

export interface WorkspaceOutcome {
  /** `resourceGroup/name` */
  workspace: string;
  resourceId?: string;
  status: 'succeeded' | 'partial' | 'failed';
  indicators: WriteCounts;
  huntingQueries: WriteCounts;
  failures: number;
  /** Why the workspace as a whole failed, when it did. */
  error?: string;
  /** Hunts not written for want of their table (lib/sentinel/workspaceTables.ts). */
  skippedHunts?: SkippedHunt[];
}

export interface MultiPublishResult extends PublishResult {
  workspaces: WorkspaceOutcome[];
}

type Settled = Awaited<ReturnType<typeof forEachWorkspace<WorkspaceStores, PublishResult>>>[number];
type PublishOne = (stores: WorkspaceStores, concurrency: number | undefined) => Promise<PublishResult>;

/** One workspace's share of the run: its result (counts summed into the total) and its outcome row. */
interface WorkspacePart {
  result: PublishResult;
  outcome: WorkspaceOutcome;
}

async function publishLogged(stores: WorkspaceStores, publishOne: PublishOne, logger: Logger): Promise<PublishResult> {
  const started = Date.now();
  const result = await publishOne(stores, stores.writeConcurrency);
  logger.info(
    {
      workspace: workspaceLabel(stores.workspace),
      indicators: result.indicators,
      huntingQueries: result.huntingQueries,
      failures: result.failures.length,
      durationMs: Date.now() - started,
    },
    'workspace synced',
  );
  return result;
}

function workspacePart(s: Settled, several: boolean, logger: Logger): WorkspacePart {
  const label = workspaceLabel(s.workspace.workspace);
  const resourceId = workspaceResourceId(s.workspace.workspace);
  if (!s.ok) {
    const error = errorLine(s.error);
    logger.error({ workspace: label, error }, 'workspace failed; the others carry on');
    const failure: ItemFailure = { kind: 'workspace', key: resourceId, error, workspace: label };
    return {
      result: { indicators: zeroCounts(), huntingQueries: zeroCounts(), failures: [failure], queries: [] },
      outcome: {
        workspace: label,
        resourceId,
        status: 'failed',
        indicators: zeroCounts(),
        huntingQueries: zeroCounts(),
        failures: 1,
        error,
      },
    };
  }
  const r = s.value;
  return {
    result: { ...r, failures: r.failures.map((f) => (several ? { ...f, workspace: label } : f)) },
    outcome: {
      workspace: label,
      resourceId,
      status: r.failures.length > 0 ? 'partial' : 'succeeded',
      indicators: r.indicators,
      huntingQueries: r.huntingQueries,
      failures: r.failures.length,
      ...(r.skippedHunts?.length ? { skippedHunts: r.skippedHunts } : {}),
    },
  };
}

/** Each query once, the first of its id (every workspace gets the same ones). */
function firstOfEachId<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id));
}

/** The run's total: counts summed, failures named by workspace, each query once. */
function totalOf(parts: readonly WorkspacePart[]): MultiPublishResult {
  const results = parts.map((p) => p.result);
  return {
    indicators: results.reduce((sum, r) => addCounts(sum, r.indicators), zeroCounts()),
    huntingQueries: results.reduce((sum, r) => addCounts(sum, r.huntingQueries), zeroCounts()),
    failures: results.flatMap((r) => r.failures),
    queries: firstOfEachId(results.flatMap((r) => r.queries)),
    skippedHunts: firstOfEachId(results.flatMap((r) => r.skippedHunts ?? [])),
    workspaces: parts.map((p) => p.outcome),
  };
}

/**
 * Publishes to every workspace of `destination` with `publishOne` (the pipeline's publish) and sums
 * the counts. When every workspace failed as a whole, nothing was written anywhere: the first error
 * is thrown, as a single-workspace run always did (an access error then says how to fix it).
 */
export async function publishToWorkspaces(
  destination: readonly WorkspaceStores[],
  publishOne: PublishOne,
  options: { perSubscription?: number; logger?: Logger } = {},
): Promise<MultiPublishResult> {
  const logger = options.logger ?? silentLogger;
  if (destination.length === 0) throw new Error('publishToWorkspaces: no workspace to write to');

  const settled = await forEachWorkspace(
    destination,
    (stores) => stores.workspace.subscriptionId,
    (stores) => publishLogged(stores, publishOne, logger),
    { perSubscription: options.perSubscription },
  );
  const firstFailure = settled.find((s) => !s.ok);
  if (firstFailure && settled.every((s) => !s.ok)) throw firstFailure.error;
  const several = destination.length > 1;
  return totalOf(settled.map((s) => workspacePart(s, several, logger)));
}

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
