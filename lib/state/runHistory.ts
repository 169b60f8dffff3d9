import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { errorLine } from '../errors';
import type { Logger } from '../logger';
import { pullWindowSchema, type PullWindow } from '../threatfox/pullWindow';
import { safeRowKey } from './rowKey';

/**
 * One row per run (and per queue message handled), newest first, so "what did the last runs do"
 * is one cheap query in the portal's Storage browser (PartitionKey `run`).
 */

export const RUN_PARTITION = 'run';

export const RUN_TRIGGERS = ['timer', 'http', 'queue', 'cli'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATUSES = ['running', 'succeeded', 'partial', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Each is stored as its own integer column, so the table stays readable and filterable. */
export const RUN_COUNT_KEYS = [
  'fetched',
  'iocs',
  'rejected',
  'clipped',
  'enqueued',
  'claimChecks',
  'indicatorsCreated',
  'indicatorsUpdated',
  'indicatorsUnchanged',
  'indicatorsDeleted',
  'indicatorsFailed',
  'queriesCreated',
  'queriesUpdated',
  'queriesUnchanged',
  'queriesDeleted',
  'queriesFailed',
  // The lifecycle step (lib/sentinel/lifecycle.ts, lifecycleRunCounts).
  'reconcileConfirmed',
  'reconcileRevoked',
  'reconcileLookupFailed',
  'reconcileNotChecked',
  'reconcileFailed',
  'queriesRemovedForFamilies',
] as const;
export type RunCountKey = (typeof RUN_COUNT_KEYS)[number];
export type RunCounts = Partial<Record<RunCountKey, number>>;

export interface RunRecord {
  runId: string;
  trigger: RunTrigger;
  /** ISO 8601; with runId, the row's identity, so recording the same run again updates its row. */
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  families: string[];
  /** How ThreatFox was asked (timer runs). */
  pull?: PullWindow;
  counts: RunCounts;
  /** What failed, in one line; never a secret (callers pass messages, not request objects). */
  error?: string;
  /** The workspace (`resourceGroup/name`) when the row is one workspace's share of a run over several. */
  workspace?: string;
}

/** Table properties are limited to 64 KiB; an error message is for a human, who needs far less. */
const MAX_ERROR_CHARS = 4000;

/** Milliseconds until the largest Date; as 16 digits it sorts newest first. */
const MAX_DATE_MS = 8_640_000_000_000_000;

export function runRowKey(startedAt: string, runId: string): string {
  const ms = Date.parse(startedAt);
  if (Number.isNaN(ms)) throw new RangeError(`startedAt must be an ISO 8601 time (got "${startedAt}")`);
  return `${String(MAX_DATE_MS - ms).padStart(16, '0')}_${safeRowKey(runId)}`;
}

const countColumns = z.object(
  Object.fromEntries(RUN_COUNT_KEYS.map((k) => [k, z.number().int().min(0).optional()])) as Record<
    RunCountKey,
    z.ZodOptional<z.ZodNumber>
  >,
);

/** A run row's contract: what recordRun writes, and what a reader of the table may rely on. */
export const runRecordSchema = z.object({
  runId: z.string().min(1).max(200),
  trigger: z.enum(RUN_TRIGGERS),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }).optional(),
  status: z.enum(RUN_STATUSES),
  families: z.array(z.string()),
  pull: pullWindowSchema.optional(),
  counts: countColumns,
  error: z.string().optional(),
  workspace: z.string().max(400).optional(),
});

interface RunEntity {
  partitionKey: string;
  rowKey: string;
  runId: string;
  trigger: string;
  startedAt: string;
  finishedAt?: string;
  status: string;
  /** JSON array: table properties have no list type. */
  families: string;
  pullMode?: string;
  pullDays?: number;
  error?: string;
  workspace?: string;
  [count: string]: unknown;
}

/** Writes (or rewrites) the run's row. Call at the end of a run, and at the start too if you want `running` rows. */
export async function recordRun(table: TableClient, run: RunRecord): Promise<void> {
  const valid = runRecordSchema.parse(run);
  const entity: RunEntity = {
    partitionKey: RUN_PARTITION,
    rowKey: runRowKey(valid.startedAt, valid.runId),
    runId: valid.runId,
    trigger: valid.trigger,
    startedAt: valid.startedAt,
    status: valid.status,
    families: JSON.stringify(valid.families),
  };
  if (valid.finishedAt) entity.finishedAt = valid.finishedAt;
  if (valid.pull) {
    entity.pullMode = valid.pull.mode;
    if (valid.pull.mode === 'recent') entity.pullDays = valid.pull.days;
  }
  if (valid.workspace) entity.workspace = valid.workspace;
  if (valid.error)
    entity.error = valid.error.length > MAX_ERROR_CHARS ? `${valid.error.slice(0, MAX_ERROR_CHARS)}…` : valid.error;
  for (const key of RUN_COUNT_KEYS) {
    const n = valid.counts[key];
    if (n !== undefined) entity[key] = n;
  }
  // Replace, not merge: a rewritten row must not keep a stale error or count from before.
  await table.upsertEntity(entity, 'Replace');
}

/** Run history is for operators: failing to write it must not fail (and so lose) the run itself. */
export async function recordRunSafely(table: TableClient, logger: Logger, run: RunRecord): Promise<void> {
  try {
    await recordRun(table, run);
  } catch (e) {
    logger.warn({ runId: run.runId, err: errorLine(e) }, 'could not record run history');
  }
}
