import type { TokenCredential } from '@azure/core-auth';
import { appEnv, type SentinelTarget } from '../config';
import { silentLogger, type Logger } from '../logger';
import type { PublishResult, SentinelStores } from '../pipeline';
import { createArmClients } from './armClients';
import { createCredential } from './credential';
import { armIndicatorStore } from './indicatorStore';
import { armSavedSearchStore } from './savedSearchStore';
import { createUploadClient, DEFAULT_UPLOAD_ENDPOINT } from './uploadClient';
import { uploadIndicatorStore } from './uploadStore';
import { describeError, type ItemFailure, type WriteCounts } from './writer';
import { forEachWorkspace, workspaceLabel, workspaceResourceId, type WorkspaceRef } from './workspaces';

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

/** Where a write goes: one workspace's stores (tests, older callers) or every configured workspace. */
export type SentinelDestination = SentinelStores | readonly WorkspaceStores[];

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
}

export interface MultiPublishResult extends PublishResult {
  workspaces: WorkspaceOutcome[];
}

const zero = (): WriteCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0 });

function add(a: WriteCounts, b: WriteCounts): WriteCounts {
  return {
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
    failed: a.failed + b.failed,
  };
}

function isList(d: SentinelDestination): d is readonly WorkspaceStores[] {
  return Array.isArray(d);
}

/**
 * Publishes to every workspace of `destination` with `publishOne` (the pipeline's publish) and sums
 * the counts. When every workspace failed as a whole, nothing was written anywhere: the first error
 * is thrown, as a single-workspace run always did (an access error then says how to fix it).
 */
export async function publishToWorkspaces(
  destination: SentinelDestination,
  publishOne: (stores: SentinelStores, concurrency: number | undefined) => Promise<PublishResult>,
  options: { perSubscription?: number; logger?: Logger } = {},
): Promise<MultiPublishResult> {
  const logger = options.logger ?? silentLogger;
  if (!isList(destination)) {
    const result = await publishOne(destination, undefined);
    const outcome: WorkspaceOutcome = {
      workspace: 'default',
      status: result.failures.length > 0 ? 'partial' : 'succeeded',
      indicators: result.indicators,
      huntingQueries: result.huntingQueries,
      failures: result.failures.length,
    };
    return { ...result, workspaces: [outcome] };
  }
  if (destination.length === 0) throw new Error('publishToWorkspaces: no workspace to write to');

  const several = destination.length > 1;
  const settled = await forEachWorkspace(
    destination,
    (stores) => stores.workspace.subscriptionId,
    async (stores) => {
      const label = workspaceLabel(stores.workspace);
      const started = Date.now();
      const result = await publishOne(stores, stores.writeConcurrency);
      logger.info(
        {
          workspace: label,
          indicators: result.indicators,
          huntingQueries: result.huntingQueries,
          failures: result.failures.length,
          durationMs: Date.now() - started,
        },
        'workspace synced',
      );
      return result;
    },
    { perSubscription: options.perSubscription },
  );

  if (settled.every((s) => !s.ok)) {
    const first = settled[0] as { ok: false; error: unknown };
    throw first.error;
  }

  const out: MultiPublishResult = {
    indicators: zero(),
    huntingQueries: zero(),
    failures: [],
    queries: [],
    workspaces: [],
  };
  const queryIds = new Set<string>();
  for (const s of settled) {
    const label = workspaceLabel(s.workspace.workspace);
    const resourceId = workspaceResourceId(s.workspace.workspace);
    if (!s.ok) {
      const error = describeError(s.error);
      logger.error({ workspace: label, error }, 'workspace failed; the others carry on');
      const failure: ItemFailure = { kind: 'workspace', key: resourceId, error, workspace: label };
      out.failures.push(failure);
      out.workspaces.push({
        workspace: label,
        resourceId,
        status: 'failed',
        indicators: zero(),
        huntingQueries: zero(),
        failures: 1,
        error,
      });
      continue;
    }
    const r = s.value;
    out.indicators = add(out.indicators, r.indicators);
    out.huntingQueries = add(out.huntingQueries, r.huntingQueries);
    out.failures.push(...r.failures.map((f) => (several ? { ...f, workspace: label } : f)));
    for (const q of r.queries) {
      if (queryIds.has(q.id)) continue;
      queryIds.add(q.id);
      out.queries.push(q);
    }
    out.workspaces.push({
      workspace: label,
      resourceId,
      status: r.failures.length > 0 ? 'partial' : 'succeeded',
      indicators: r.indicators,
      huntingQueries: r.huntingQueries,
      failures: r.failures.length,
    });
  }
  return out;
}

export interface ConnectOptions {
  credential?: TokenCredential;
  /** Extra CA to trust for ARM and the upload endpoint (a test's self-signed fakes). */
  tlsCa?: string;
  logger?: Logger;
  /** SDK backoff, shortened by tests. */
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  /** Upload client tuning (tests, bench). */
  upload?: { maxRetryAfterMs?: number; retryDelayMs?: number; timeoutMs?: number; batchesInFlight?: number };
}

/**
 * The stores of every target workspace, sharing one credential (tokens are reused) and, on the
 * upload path, one upload client. The upload path's workspace id (`properties.customerId`) is read
 * from ARM once per workspace, on its first write.
 */
export function connectWorkspaces(targets: readonly SentinelTarget[], options: ConnectOptions = {}): WorkspaceStores[] {
  const credential = options.credential ?? createCredential(appEnv());
  const first = targets[0];
  const upload =
    first && first.writePath === 'upload'
      ? createUploadClient({
          endpoint: first.uploadEndpoint ?? DEFAULT_UPLOAD_ENDPOINT,
          credential,
          sourceSystem: first.source,
          maxRetries: first.maxRetries,
          tlsCa: options.tlsCa,
          logger: options.logger,
          maxRetryAfterMs: options.upload?.maxRetryAfterMs,
          retryDelayMs: options.upload?.retryDelayMs,
          timeoutMs: options.upload?.timeoutMs,
        })
      : undefined;
  return targets.map((target) => {
    const clients = createArmClients(target, {
      credential,
      tlsCa: options.tlsCa,
      retryDelayInMs: options.retryDelayInMs,
      maxRetryDelayInMs: options.maxRetryDelayInMs,
    });
    const arm = armIndicatorStore(clients.securityInsights, target);
    const workspace: WorkspaceRef = {
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      workspaceName: target.workspaceName,
    };
    const savedSearches = armSavedSearchStore(clients.operationalInsights, target);
    if (!upload) return { workspace, indicators: arm, savedSearches };
    const indicators = uploadIndicatorStore({
      arm,
      client: upload,
      source: target.source,
      batchesInFlight: options.upload?.batchesInFlight,
      workspaceId: async () => {
        const ws = await clients.operationalInsights.workspaces.get(target.resourceGroup, target.workspaceName);
        if (!ws.customerId)
          throw new Error(`workspace ${workspaceLabel(workspace)} has no customerId (Log Analytics workspace id)`);
        return ws.customerId;
      },
    });
    return { workspace, indicators, savedSearches, writeConcurrency: indicators.writeConcurrency };
  });
}
