import type { WorkspaceOutcome } from '../sentinel/workspaceSync';
import type { ItemFailure, WriteCounts } from '../sentinel/writeCounts';
import type { RunCounts, RunRecord } from './runHistory';

/** A write's counts (indicators and saved searches) as run-history columns: the one mapping of WriteCounts to RunCounts. */
export function writeRunCounts(written: { indicators: WriteCounts; huntingQueries: WriteCounts }): RunCounts {
  const { indicators: i, huntingQueries: q } = written;
  return {
    indicatorsCreated: i.created,
    indicatorsUpdated: i.updated,
    indicatorsUnchanged: i.unchanged,
    indicatorsDeleted: i.deleted,
    indicatorsFailed: i.failed,
    queriesCreated: q.created,
    queriesUpdated: q.updated,
    queriesUnchanged: q.unchanged,
    queriesDeleted: q.deleted,
    queriesFailed: q.failed,
  };
}

/** A run's failed writes in one line for its row: how many, and the first. */
export function failureLine(failures: readonly ItemFailure[]): string | undefined {
  const first = failures[0];
  return first ? `${failures.length} writes failed, first: ${first.kind} ${first.key}: ${first.error}` : undefined;
}

/**
 * A run over several workspaces is recorded as its row (the totals) plus one row per workspace,
 * `runId/resourceGroup/name`, with that workspace's own counts, status and error.
 */
export function workspaceRunRecords(run: RunRecord, outcomes: readonly WorkspaceOutcome[] | undefined): RunRecord[] {
  if (!outcomes || outcomes.length < 2) return [];
  return outcomes.map((o) => ({
    runId: `${run.runId}/${o.workspace}`,
    trigger: run.trigger,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    status: o.status,
    families: run.families,
    counts: writeRunCounts(o),
    error: o.error ?? (o.failures > 0 ? `${o.failures} writes failed` : undefined),
    workspace: o.workspace,
  }));
}
