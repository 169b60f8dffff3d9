import pLimit from 'p-limit';
import { errorLine } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { workspaceLabel, workspaceResourceId } from '../workspaceRef';
import type { PublishResult, WorkspaceStores } from './stores';
import type { SkippedHunt } from './workspaceTables';
import { addCounts, zeroCounts, type ItemFailure, type WriteCounts } from './writeCounts';

/**
 * Several workspaces from one pull: each workspace gets its own read of our indicators, its own
 * writes and its own counts; one failing (denied, not found, throttled past every retry) is
 * reported and the others carry on. Workspaces of one subscription take turns (ARM throttles
 * writes per subscription); different subscriptions run side by side.
 */

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

/**
 * The one place that decides how many workspaces are written at once: ARM throttles writes per
 * subscription, so workspaces of one subscription take turns while other subscriptions run alongside.
 */

/**
 * Runs `work` for every workspace, at most `perSubscription` at a time within one subscription,
 * subscriptions in parallel. Never rejects: each workspace's outcome (or error) comes back in the
 * order given, so one workspace failing never holds back the others.
 */
export async function forEachWorkspace<W, T>(
  workspaces: readonly W[],
  subscriptionOf: (workspace: W) => string,
  work: (workspace: W) => Promise<T>,
  { perSubscription = 1 }: { perSubscription?: number } = {},
): Promise<Array<{ workspace: W; ok: true; value: T } | { workspace: W; ok: false; error: unknown }>> {
  const limits = new Map<string, ReturnType<typeof pLimit>>();
  const limitFor = (subscriptionId: string) => {
    const key = subscriptionId.toLowerCase();
    let limit = limits.get(key);
    if (!limit) limits.set(key, (limit = pLimit(Math.max(1, perSubscription))));
    return limit;
  };
  return Promise.all(
    workspaces.map((workspace) =>
      limitFor(subscriptionOf(workspace))(async () => {
        try {
          return { workspace, ok: true as const, value: await work(workspace) };
        } catch (error) {
          return { workspace, ok: false as const, error };
        }
      }),
    ),
  );
}
