import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import type { Settings } from '../config';
import { MALWARE_ID } from '../settingFields';
import { asAzureAccessError, errorLine, isSettingError, isSyncError, type SyncError } from '../errors';
import type { Logger } from '../logger';
import type { Ioc } from '../ioc/types';
import { withoutHuntedHost } from '../ioc/urlHost';
import { collect, HTTP_FIELDS, onDemandInput, type Collected } from '../collect';
import { benignCounts, runSync, type SyncResult } from '../pipeline';
import type { WorkspaceStores } from '../sentinel/stores';
import { failureLine, workspaceRunRecords, writeRunCounts } from '../state/workspaceRuns';
import { recordRunSafely, type RunRecord } from '../state/runHistory';
import type { ThreatFoxSource } from '../threatfox/source';
import type { IocLookupSource } from '../threatfox/lookup';
import type { LifecycleRequest } from '../sentinel/lifecycle';
import { lifecycleRunCounts } from '../state/lifecycleRuns';

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export const syncRequestSchema = z
  .object({
    dryRun: z.boolean().default(false),
    days: z.number().int().min(1).max(7).optional(),
    malware: z
      .string()
      .trim()
      .regex(MALWARE_ID, 'must be a ThreatFox malware id such as win.netsupportmanager_rat')
      .transform((m) => m.toLowerCase())
      .optional(),
    iocs: z.string().max(MAX_REQUEST_BYTES, 'is too long').optional(),
    /** After the sync, reconcile our indicators with ThreatFox (withdrawn IOCs revoked). */
    reconcile: z.boolean().default(false),
  })
  .strict();

export type SyncRequest = z.output<typeof syncRequestSchema>;

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Validates a request body; the field errors name each bad field. */
export function parseSyncRequest(text: string): { ok: true; request: SyncRequest } | { ok: false; answer: HttpAnswer } {
  let json: unknown = {};
  if (text.trim()) {
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, answer: { status: 400, body: { error: 'body must be JSON' } } };
    }
  }
  const parsed = syncRequestSchema.safeParse(json);
  if (!parsed.success) {
    // A Map, not an object literal: a body key may be named `constructor` or `__proto__`.
    const fields = new Map<string, string[]>();
    const add = (key: string, message: string) => fields.set(key, [...(fields.get(key) ?? []), message]);
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
        for (const key of issue.keys)
          add(key, `unknown field (expected ${Object.keys(syncRequestSchema.shape).join(', ')})`);
      } else {
        add(issue.path.map(String).join('.') || '(body)', issue.message);
      }
    }
    return {
      ok: false,
      answer: { status: 400, body: { error: 'invalid request', fields: Object.fromEntries(fields) } },
    };
  }
  return { ok: true, request: parsed.data };
}

/** What the HTTP job uses: ThreatFox and the Sentinel stores on demand, run history, and the queue for big writes. */
export interface OnDemandDeps {
  settings: Pick<Settings, 'threatfox' | 'allowlist' | 'sentinel'>;
  threatfox: () => ThreatFoxSource;
  /** ThreatFox look-ups for `reconcile` (none given: a reconcile request is refused). */
  lookup?: () => IocLookupSource;
  sentinel: () => readonly WorkspaceStores[];
  logger: Logger;
  /** Where runs that wrote to Sentinel are recorded (run history). */
  history?: () => Promise<TableClient>;
  /**
   * Hands a large write to the upsert queue instead of writing inline (ARM's write throttle would
   * outlast the HTTP request); returns the number of messages sent.
   */
  handOff?: (iocs: Ioc[], runId: string) => Promise<number>;
  runId?: string;
}

/**
 * How long an HTTP reconcile may look up: an HTTP request through the Functions front end is cut
 * at 230 s, so the rest is left for the next run (it resumes with the oldest-confirmed).
 */
export const HTTP_RECONCILE_SECONDS = 150;

/** Above this many IOCs a write is queued (202): at ARM's 10 writes/s it would outlive the request. */
export const INLINE_WRITE_LIMIT = 500;

/**
 * The HTTP trigger's job: the same sync as the CLI. A pasted list (`iocs`) is refanged and used
 * instead of the API, and needs its family (`malware`); a saved ThreatFox answer in `iocs` is kept
 * to `malware` when given. A dry run answers with the planned indicators and queries.
 */
export async function runOnDemand(request: SyncRequest, deps: OnDemandDeps): Promise<HttpAnswer> {
  try {
    const collected = await collectRequest(request, deps);
    if (!request.dryRun && deps.handOff && collected.iocs.length > INLINE_WRITE_LIMIT)
      return await queueSync(collected, deps.handOff, deps);
    return await syncInline(request, collected, deps);
  } catch (e) {
    const known = isSyncError(e) ? e : asAzureAccessError(e);
    if (!known) throw e;
    return errorAnswer(request, known, deps.logger);
  }
}

/** Reads what the request asks for: the pasted list, or ThreatFox. */
function collectRequest(request: SyncRequest, deps: OnDemandDeps): Promise<Collected> {
  const input = onDemandInput(
    { text: request.iocs, days: request.days, malware: request.malware ? [request.malware] : undefined },
    deps.settings.threatfox,
    HTTP_FIELDS,
  );
  return collect(input, input.kind === 'threatfox' ? deps.threatfox() : undefined, deps.settings.allowlist);
}

/** Too many IOCs to write within the request: hand them to the upsert queue and answer 202. */
async function queueSync(
  collected: Collected,
  handOff: NonNullable<OnDemandDeps['handOff']>,
  deps: OnDemandDeps,
): Promise<HttpAnswer> {
  const runId = deps.runId ?? randomUUID();
  const messages = await handOff(collected.iocs, runId);
  deps.logger.info({ runId, iocs: collected.iocs.length, messages }, 'sync queued');
  await withHistory(deps, runId, (table) =>
    recordRunSafely(table, deps.logger, {
      runId,
      trigger: 'http',
      startedAt: new Date().toISOString(),
      status: 'running', // the queue function writes; its run rows start with this runId
      families: [...new Set(collected.iocs.map((i) => i.malware ?? 'unknown'))].sort(),
      counts: {
        fetched: collected.read,
        iocs: collected.iocs.length,
        rejected: collected.rejected.length,
        enqueued: collected.iocs.length,
      },
    }),
  );
  return {
    status: 202,
    body: {
      runId,
      queued: { iocs: collected.iocs.length, messages },
      summary: {
        read: collected.read,
        iocs: collected.iocs.length,
        rejected: collected.rejected.length,
        benign: benignCounts(collected.rejected),
      },
      rejected: collected.rejected,
    },
  };
}

/** Writes (or, for a dry run, plans) within the request; 502 when some writes failed. */
async function syncInline(request: SyncRequest, collected: Collected, deps: OnDemandDeps): Promise<HttpAnswer> {
  const result = await runSync(
    { kind: 'collected', collected },
    { settings: deps.settings, stores: request.dryRun ? undefined : deps.sentinel(), logger: deps.logger },
    { dryRun: request.dryRun, lifecycle: lifecycleRequest(request, deps) },
  );
  const status = result.failures.length > 0 ? 502 : 200;
  if (request.dryRun) {
    const { summary, rejected, iocs, plan } = result;
    return {
      status,
      body: {
        summary,
        rejected,
        iocs: iocs.map(withoutHuntedHost),
        indicators: [...plan.indicators],
        huntingQueries: plan.huntingQueries,
      },
    };
  }
  await recordHistory(deps, result);
  const body = { summary: result.summary, rejected: result.rejected, failures: result.failures };
  return { status, body };
}

/**
 * The lifecycle step a write asks for: a full run (no `malware`, no `iocs`) removes the hunting
 * queries of families no longer configured; `reconcile` looks our indicators up on ThreatFox.
 */
function lifecycleRequest(request: SyncRequest, deps: OnDemandDeps): LifecycleRequest | undefined {
  const full = request.malware === undefined && request.iocs === undefined;
  const lookup = request.reconcile ? deps.lookup?.() : undefined;
  if (!full && !lookup) return undefined;
  return {
    ...(full ? { configuredFamilies: deps.settings.threatfox.malware } : {}),
    ...(lookup
      ? {
          reconcile: {
            source: lookup,
            budget: deps.settings.threatfox.reconcileBudget,
            deadlineAt: Date.now() + HTTP_RECONCILE_SECONDS * 1000,
          },
        }
      : {}),
  };
}

/** The HTTP status follows the error's code (and the field it is about), never its text. */
function errorAnswer(request: SyncRequest, known: SyncError, logger: Logger): HttpAnswer {
  if (known.code === 'INPUT' && known.field) {
    logger.warn({ code: known.code, field: known.field }, known.message);
    return { status: 400, body: { error: 'invalid request', fields: { [known.field]: [known.message] } } };
  }
  logger.error({ code: known.code }, known.message);
  // The family came from the caller, so ThreatFox refusing it is the caller's to fix.
  if (request.malware !== undefined && isSettingError(known, 'THREATFOX_MALWARE')) {
    // The setting's name means nothing to an HTTP caller, who named the family in `malware`.
    const message = known.message.replace(/^THREATFOX_MALWARE:?\s*/, '');
    return { status: 400, body: { error: 'invalid request', fields: { malware: [message] } } };
  }
  // CONFIG (a bad app setting, or Azure refusing the app's identity) is the server's to fix.
  const status = known.code === 'INPUT' ? 400 : known.code === 'CONFIG' ? 500 : 502;
  return { status, body: { error: known.message, code: known.code } };
}

/** Run history is bookkeeping: the sync already happened, so failing to record it must not fail the answer. */
async function recordHistory(deps: OnDemandDeps, result: SyncResult): Promise<void> {
  const runId = deps.runId ?? randomUUID();
  const run = httpRunRecord(runId, result);
  await withHistory(deps, runId, async (table) => {
    for (const row of [run, ...workspaceRunRecords(run, result.summary.workspaces)])
      await recordRunSafely(table, deps.logger, row);
  });
}

/** Opens the run-history table, or logs why not: bookkeeping never fails the answer. */
async function withHistory(
  deps: OnDemandDeps,
  runId: string,
  record: (table: TableClient) => Promise<void>,
): Promise<void> {
  if (!deps.history) return;
  let table: TableClient;
  try {
    table = await deps.history();
  } catch (e) {
    deps.logger.warn({ runId, err: errorLine(e) }, 'could not record run history');
    return;
  }
  await record(table);
}

function httpRunRecord(runId: string, result: SyncResult): RunRecord {
  const { summary: s } = result;
  const finishedAt = new Date();
  return {
    runId,
    trigger: 'http',
    startedAt: new Date(finishedAt.getTime() - s.durationMs).toISOString(),
    finishedAt: finishedAt.toISOString(),
    status: s.failures > 0 ? 'partial' : 'succeeded',
    families: s.families,
    counts: {
      fetched: s.read,
      iocs: s.iocs,
      rejected: s.rejected,
      ...writeRunCounts(s),
      ...lifecycleRunCounts(s.lifecycle),
    },
    error: failureLine(result.failures),
  };
}
