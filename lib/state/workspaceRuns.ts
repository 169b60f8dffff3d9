import type { WorkspaceOutcome } from '../sentinel/workspaceSync';
import type { RunCounts, RunRecord } from './runHistory';

/**
 * A run over several workspaces is recorded as its row (the totals) plus one row per workspace,
 * `runId/resourceGroup/name`, with that workspace's own counts, status and error.
 */
export function workspaceRunRecords(run: RunRecord, outcomes: readonly WorkspaceOutcome[] | undefined): RunRecord[] {
  if (!outcomes || outcomes.length < 2) return [];
  return outcomes.map((o) => {
    const counts: RunCounts = {
      indicatorsCreated: o.indicators.created,
      indicatorsUpdated: o.indicators.updated,
      indicatorsUnchanged: o.indicators.unchanged,
      indicatorsDeleted: o.indicators.deleted,
      indicatorsFailed: o.indicators.failed,
      queriesCreated: o.huntingQueries.created,
      queriesUpdated: o.huntingQueries.updated,
      queriesUnchanged: o.huntingQueries.unchanged,
      queriesDeleted: o.huntingQueries.deleted,
      queriesFailed: o.huntingQueries.failed,
    };
    return {
      runId: `${run.runId}/${o.workspace}`,
      trigger: run.trigger,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      status: o.status === 'succeeded' ? 'succeeded' : o.status === 'partial' ? 'partial' : 'failed',
      families: run.families,
      counts,
      error: o.error ?? (o.failures > 0 ? `${o.failures} writes failed` : undefined),
      workspace: o.workspace,
    };
  });
}
