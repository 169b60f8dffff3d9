import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import { collect, type Collected, type SyncInput } from './collect';
import type { Settings } from './config';
import { groupBy } from './groupBy';
import { BENIGN_KINDS, type BenignKind } from './ioc/benign';
import type { Ioc, Rejected } from './ioc/types';
import { type HuntingQuery } from './kql/huntingQuery';
import { buildInlineQueries, heavilySplit, MANY_PARTS } from './kql/inlineQueries';
import { silentLogger, type Logger } from './logger';
import { renderIndicator } from './sentinel/indicatorBody';
import { factsFromIocs, groupByObservable, type IndicatorOptions } from './sentinel/indicatorFacts';
import { lifecycleAfterWrite, type LifecycleRequest, type LifecycleResult } from './sentinel/lifecycle';
import { publishWithinDeadline, savedSearchesFor } from './sentinel/publish';
import type { WorkspaceStores } from './sentinel/stores';
import type { MultiPublishResult, WorkspaceOutcome } from './sentinel/workspaceSync';
import type { SkippedHunt } from './sentinel/workspaceTables';
import { zeroCounts, type ItemFailure, type WriteCounts } from './sentinel/writeCounts';
import type { ThreatFoxSource } from './threatfox/source';

/**
 * One flow for every adapter (CLI, timer, queue, HTTP):
 * collect (ThreatFox or a document) → normalise → plan (indicators + hunting queries) → publish to Sentinel
 * (the sentinel stage's `publishWithinDeadline`, lib/sentinel/publish.ts).
 */

/**
 * The indicator bodies a run would write, one per observable, rendered each time they are iterated:
 * 100k bodies held at once take about 140 MB, and the CLI only streams them to indicators.json.
 */
export interface PlannedIndicators extends Iterable<ThreatIntelligenceIndicatorModel> {
  readonly count: number;
  /** Bodies whose validity already ended (old IOCs past INDICATOR_TTL_DAYS). */
  readonly expired: number;
}

export interface Plan {
  indicators: PlannedIndicators;
  /** The inline (export) form: self-contained queries with the IOC lists, for --out, the report and a dry run. */
  huntingQueries: HuntingQuery[];
  /** The saved searches a write puts in Sentinel: the ThreatIntelIndicators form, one per family and table, plus behaviour hunts. */
  savedSearches: HuntingQuery[];
}

function plannedIndicators(iocs: Ioc[], options: IndicatorOptions): PlannedIndicators {
  const groups = [...groupByObservable(iocs).values()];
  let expired = 0;
  for (const group of groups) {
    if (new Date(factsFromIocs(group, options).validUntil).getTime() <= options.now.getTime()) expired += 1;
  }
  return {
    count: groups.length,
    expired,
    *[Symbol.iterator]() {
      for (const group of groups) yield renderIndicator(factsFromIocs(group, options), options.source);
    },
  };
}

/** What would be written for these IOCs alone: the dry run's answer. */
export function plan(iocs: Ioc[], sentinel: Settings['sentinel'], now: Date): Plan {
  return {
    indicators: plannedIndicators(iocs, { source: sentinel.source, ttlDays: sentinel.ttlDays, now }),
    huntingQueries: buildInlineQueries(iocs, { lookback: sentinel.huntingLookback }),
    savedSearches: savedSearchesFor(iocs, sentinel),
  };
}

export interface RunSummary {
  dryRun: boolean;
  families: string[];
  read: number;
  iocs: number;
  rejected: number;
  /** Of `rejected`: well-formed values refused as well-known benign infrastructure, by kind. */
  benign: Record<BenignKind, number>;
  /** ThreatFox records of a saved document left out because their family was not asked for (--malware). */
  skipped: number;
  /** Metadata fields clipped or dropped to fit (the IOCs were kept). */
  clipped: number;
  /** Most of a ThreatFox pull was rejected: the CLI exits 2 (see rejectionAlarm). */
  alarm?: string;
  byType: Record<string, number>;
  /** `expired`: planned indicators whose validity already ended (old IOCs past INDICATOR_TTL_DAYS). */
  indicators: WriteCounts & { planned: number; expired: number };
  /** `savedSearches` (= `planned`): what a sync writes, one per table and behaviour hunt; `exported`: what --out writes (parts counted). */
  huntingQueries: WriteCounts & { planned: number; savedSearches: number; exported: number };
  failures: number;
  durationMs: number;
  /** Each workspace's own counts (a write to SENTINEL_WORKSPACES names every one). */
  workspaces?: WorkspaceOutcome[];
  /** What the lifecycle step did (withdrawn IOCs revoked, removed families' queries deleted), when asked. */
  lifecycle?: Omit<LifecycleResult, 'failures'>;
  /** Hunting queries not written because the workspace lacks their table, with the connector that adds it. */
  skippedHunts?: SkippedHunt[];
}

export interface SyncResult {
  summary: RunSummary;
  iocs: Ioc[];
  rejected: Rejected[];
  plan: Plan;
  failures: ItemFailure[];
}

export interface SyncDeps {
  settings: Pick<Settings, 'allowlist' | 'sentinel'>;
  threatfox?: ThreatFoxSource;
  /** Absent on a dry run; every configured workspace's stores. */
  stores?: readonly WorkspaceStores[];
  logger?: Logger;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export type SyncOptions = { dryRun: boolean; lifecycle?: LifecycleRequest };

/**
 * The whole job, as the CLI and the HTTP trigger run it: collect → say what was refused → plan →
 * publish under the run's deadline (unless a dry run) → summarise. Logs one summary line.
 */
export async function runSync(input: SyncInput, deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  const startedAt = Date.now();
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? new Date();
  const collected = await collect(input, deps.threatfox, deps.settings.allowlist);
  logRefused(collected, logger);
  const planned = plan(collected.iocs, deps.settings.sentinel, now);
  warnHeavilySplit(planned.huntingQueries, logger);
  const published = options.dryRun ? undefined : await publishRun(collected.iocs, deps, { now, logger, startedAt });
  const run = { now, logger, startedAt, stores: deps.stores, sentinel: deps.settings.sentinel };
  const lifecycle = await lifecycleAfterWrite(published, options.lifecycle, run);
  const failures = [...(published?.failures ?? []), ...(lifecycle?.failures ?? [])];
  // A write to a list of workspaces (SENTINEL_WORKSPACES) names each one in the summary.
  const byWorkspace = Array.isArray(deps.stores);
  const summary = summarise({ collected, planned, published, byWorkspace, dryRun: options.dryRun, startedAt });
  if (lifecycle) Object.assign(summary, { lifecycle: lifecycle.summary, failures: failures.length });
  logSummary(summary, failures, deps.settings.sentinel.ttlDays, logger);
  return { summary, iocs: collected.iocs, rejected: collected.rejected, plan: planned, failures };
}

/** Every refused record and clipped field at debug; the rejection alarm as a warning. */
function logRefused(collected: Collected, logger: Logger): void {
  for (const r of collected.rejected) logger.debug({ rejected: r }, 'input rejected');
  for (const c of collected.clipped ?? []) logger.debug({ clipped: c }, 'metadata bounded');
  if (collected.alarm) logger.warn({ read: collected.read, rejected: collected.rejected.length }, collected.alarm);
}

function warnHeavilySplit(queries: HuntingQuery[], logger: Logger): void {
  for (const heavy of heavilySplit(queries)) {
    logger.warn(
      { family: heavy.family, table: heavy.table, parts: heavy.parts },
      `the exported (inline) hunting query for this table needed ${heavy.parts} parts (over ${MANY_PARTS}): run every part, or use the saved search in Sentinel, which reads ThreatIntelIndicators and is never split`,
    );
  }
}

/** The write: every workspace of `deps.stores`, under a deadline counted from the run's start. */
function publishRun(
  iocs: Ioc[],
  deps: SyncDeps,
  run: { now: Date; logger: Logger; startedAt: number },
): Promise<MultiPublishResult> {
  if (!deps.stores) throw new Error('runSync: Sentinel stores are needed unless dryRun is set');
  return publishWithinDeadline(iocs, deps.stores, deps.settings, { ...run, onProgress: deps.onProgress });
}

function summarise(run: {
  collected: Collected;
  planned: Plan;
  published: MultiPublishResult | undefined;
  byWorkspace: boolean;
  dryRun: boolean;
  startedAt: number;
}): RunSummary {
  const { collected, planned, published } = run;
  return {
    dryRun: run.dryRun,
    families: [...new Set(collected.iocs.map((i) => i.malware ?? 'unknown'))].sort(),
    read: collected.read,
    iocs: collected.iocs.length,
    rejected: collected.rejected.length,
    benign: benignCounts(collected.rejected),
    skipped: collected.skipped ?? 0,
    clipped: collected.clipped?.length ?? 0,
    alarm: collected.alarm,
    byType: Object.fromEntries([...groupBy(collected.iocs, (i) => i.type)].map(([t, of]) => [t, of.length])),
    indicators: {
      planned: planned.indicators.count,
      expired: planned.indicators.expired,
      ...(published?.indicators ?? zeroCounts()),
    },
    huntingQueries: {
      planned: planned.savedSearches.length,
      savedSearches: planned.savedSearches.length,
      exported: planned.huntingQueries.length,
      ...(published?.huntingQueries ?? zeroCounts()),
    },
    failures: published?.failures.length ?? 0,
    durationMs: Date.now() - run.startedAt,
    ...(published && run.byWorkspace ? { workspaces: published.workspaces } : {}),
    ...(published?.skippedHunts?.length ? { skippedHunts: published.skippedHunts } : {}),
  };
}

/** The expiry warning, the one summary line, then each failed write. */
function logSummary(summary: RunSummary, failures: ItemFailure[], ttlDays: number, logger: Logger): void {
  if (summary.indicators.expired > 0) {
    logger.warn(
      { expired: summary.indicators.expired, ttlDays },
      'some indicators are already past their validity (last or first seen + INDICATOR_TTL_DAYS): Sentinel keeps them as expired',
    );
  }
  logger.info({ summary }, summary.dryRun ? 'dry run finished' : 'sync finished');
  for (const f of failures) logger.error({ failure: f }, 'write failed');
}

/** Refusals of well-formed but benign values, by kind (every kind present, zero or not). */
export function benignCounts(rejected: Rejected[]): Record<BenignKind, number> {
  const counts = Object.fromEntries(BENIGN_KINDS.map((k) => [k, 0])) as Record<BenignKind, number>;
  for (const r of rejected) if (r.benign) counts[r.benign]++;
  return counts;
}
