import type { TableClient } from '@azure/data-tables';
import { RUN_COUNT_KEYS, RUN_PARTITION, runRecordSchema, type RunRecord } from '../../lib/state/runHistory';

/** A run row read back through the row contract; undefined when it does not parse (hand-edited, older shape). */
function fromEntity(e: Record<string, unknown>): RunRecord | undefined {
  let families: unknown;
  try {
    families = typeof e.families === 'string' ? JSON.parse(e.families) : [];
  } catch {
    return undefined;
  }
  const counts: Record<string, unknown> = {};
  for (const key of RUN_COUNT_KEYS) if (e[key] !== undefined) counts[key] = e[key];
  const pull =
    e.pullMode === 'full'
      ? { mode: 'full' }
      : e.pullMode === 'recent'
        ? { mode: 'recent', days: e.pullDays }
        : undefined;
  const parsed = runRecordSchema.safeParse({
    runId: e.runId,
    trigger: e.trigger,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt ?? undefined,
    status: e.status,
    families,
    pull,
    counts,
    error: e.error ?? undefined,
    workspace: e.workspace ?? undefined,
  });
  return parsed.success ? parsed.data : undefined;
}

/** The newest `limit` runs recorded in the table, newest first (the row key sorts them); rows that do not parse are skipped. */
export async function listRuns(table: TableClient, limit = 20): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  const entities = table.listEntities<Record<string, unknown>>({
    queryOptions: { filter: `PartitionKey eq '${RUN_PARTITION}'` },
  });
  for await (const page of entities.byPage({ maxPageSize: limit })) {
    for (const entity of page) {
      const run = fromEntity(entity);
      if (run) out.push(run);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
