import { errorLine } from '../errors';
import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import pLimit from 'p-limit';
import type { Ioc } from '../ioc/types';
import { silentLogger, type Logger } from '../logger';
import { factsFromIndicator, reconcileIndicator } from './indicator';
import { renderIndicator } from './indicatorBody';
import { epochMs, factsFromIocs, groupByObservable, mergeFacts, type IndicatorFacts } from './indicatorFacts';
import type { IndicatorStore, ListOptions, StoredIndicator } from './indicatorStore';
import { keepDeletedOut } from './deletedByOthers';
import { observableKey, parsePattern } from './stix';
import { combine, outcome, type ItemFailure, type StepOutcome, type WriteCounts } from './writeCounts';

/**
 * Publishes indicators to Sentinel, writing only what changed.
 *
 * Indicators are found again by source + observable (Sentinel names them on create), read once
 * per run; new ones are created, changed ones replaced, duplicates removed; when a create failed
 * or was retried after an attempt that may have landed, ours are read again so duplicates it
 * left are removed in the same run.
 * Retrying (429 Retry-After, 5xx/network backoff) happens inside the SDK pipeline; an item that
 * still fails is counted and reported here, and the others carry on.
 */

export interface SyncIndicatorsOptions {
  source: string;
  ttlDays: number;
  concurrency: number;
  now?: Date;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
  /**
   * IOCs that landed before and would still be valid (the queue job reads them from seenIocs): one
   * of them with no indicator was deleted in Sentinel by someone else, and is not created again.
   */
  landedBefore?: (ioc: Ioc) => boolean;
}

export interface SyncIndicatorsResult {
  counts: WriteCounts;
  failures: ItemFailure[];
}

/**
 * Which of several indicators for one observable to keep: the oldest, then by name, so every run
 * agrees. One without a readable creation time counts as the oldest.
 */
function keeperFirst(a: StoredIndicator, b: StoredIndicator): number {
  const ca = epochMs(a.properties.created) ?? Number.NEGATIVE_INFINITY;
  const cb = epochMs(b.properties.created) ?? Number.NEGATIVE_INFINITY;
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function observableLabel(f: Pick<IndicatorFacts, 'type' | 'value'>): string {
  return `${f.type}:${f.value}`;
}

/** Ours by observable: every indicator whose source is ours and whose pattern is a simple one we could have written. */
async function readOurs(
  store: IndicatorStore,
  source: string,
  list: ListOptions,
): Promise<Map<string, StoredIndicator[]>> {
  const ours = new Map<string, StoredIndicator[]>();
  for await (const item of store.listBySource(source, list)) {
    if (item.properties.source !== source) continue;
    const observable = item.properties.pattern ? parsePattern(item.properties.pattern) : undefined;
    if (!observable) continue;
    const key = observableKey(observable);
    const list = ours.get(key);
    if (list) list.push(item);
    else ours.set(key, [item]);
  }
  return ours;
}

/** One observable's write: create it, or bring its indicators down to one keeper that says everything. */
type IndicatorWrite =
  | { kind: 'create'; key: string; label: string; body: ThreatIntelligenceIndicatorModel }
  | {
      kind: 'consolidate';
      label: string;
      keep: StoredIndicator;
      extra: StoredIndicator[];
      /** The keeper's new body; none when it already says everything. */
      body: ThreatIntelligenceIndicatorModel | undefined;
      /** The observable is in this batch, so the keeper's update counts as updated. */
      incoming: boolean;
    };

interface IndicatorWritePlan {
  writes: IndicatorWrite[];
  /** Observables of this batch whose keeper already says everything and that have no duplicates. */
  unchanged: number;
}

/**
 * Plans one observable's consolidation: what the batch adds and what the duplicates carry (another
 * family's label, a port, a ThreatFox id) is merged into the keeper; the duplicates are deleted only
 * once the keeper holds it all (see executeWrite). Undefined when there is nothing to write.
 */
function planConsolidation(
  label: string,
  existing: StoredIndicator[],
  incoming: IndicatorFacts | undefined,
  source: string,
): IndicatorWrite | undefined {
  const [keep, ...extra] = [...existing].sort(keeperFirst);
  if (keep === undefined) return undefined; // no indicator, nothing to consolidate
  let facts = incoming;
  for (const dup of extra) {
    const f = factsFromIndicator(dup.properties);
    if (f) facts = facts ? mergeFacts(f, facts) : f;
  }
  const body = facts ? reconcileIndicator(keep.properties, facts, source) : undefined;
  if (!body && extra.length === 0) return undefined;
  return { kind: 'consolidate', label, keep, extra, body, incoming: incoming !== undefined };
}

/** Compares what the batch wants with what is there: the writes that bring Sentinel to one indicator per observable. */
function planIndicatorWrites(
  wanted: ReadonlyMap<string, IndicatorFacts>,
  ours: ReadonlyMap<string, StoredIndicator[]>,
  source: string,
): IndicatorWritePlan {
  const writes: IndicatorWrite[] = [];
  let unchanged = 0;
  for (const [key, facts] of wanted) {
    const existing = ours.get(key) ?? [];
    const label = observableLabel(facts);
    if (existing.length === 0) {
      writes.push({ kind: 'create', key, label, body: renderIndicator(facts, source) });
      continue;
    }
    const write = planConsolidation(label, existing, facts, source);
    if (write) writes.push(write);
    // A keeper that says everything still counts as unchanged when its duplicates go.
    if (!write?.body) unchanged += 1;
  }
  // Duplicates of observables not in this batch go too: one indicator per observable, always.
  for (const [key, existing] of ours) {
    if (wanted.has(key)) continue;
    const keep = [...existing].sort(keeperFirst)[0];
    if (keep === undefined) continue;
    const observable = parsePattern(keep.properties.pattern ?? '');
    const write = planConsolidation(observable ? observableLabel(observable) : keep.name, existing, undefined, source);
    if (write) writes.push(write);
  }
  return { writes, unchanged };
}

/** A failed item as its outcome, logged once. */
function failed(key: string, e: unknown, logger: Logger): StepOutcome {
  const error = errorLine(e);
  logger.warn({ key, error }, 'indicator write failed');
  return outcome({ failed: 1 }, [{ kind: 'indicator', key, error }]);
}

/** Deletes duplicates one by one; each that fails is reported and the others still go. */
async function removeDuplicates(
  store: IndicatorStore,
  dups: readonly StoredIndicator[],
  describe: (dup: StoredIndicator) => string,
  logger: Logger,
): Promise<StepOutcome> {
  const outcomes: StepOutcome[] = [];
  for (const dup of dups) {
    try {
      await store.remove(dup.name);
      outcomes.push(outcome({ deleted: 1 }));
    } catch (e) {
      outcomes.push(failed(describe(dup), e, logger));
    }
  }
  return combine(outcomes);
}

/** A write's outcome; for a create, also whether it may have left a ghost to look for. */
type WriteResult = StepOutcome & { doubtful?: boolean };

async function executeWrite(store: IndicatorStore, write: IndicatorWrite, logger: Logger): Promise<WriteResult> {
  if (write.kind === 'create') {
    try {
      const created = await store.create(write.body);
      return { ...outcome({ created: 1 }), doubtful: created.afterDoubtfulAttempt === true };
    } catch (e) {
      // An error answer may hide a create that landed: the read-back finds out.
      return { ...failed(write.label, e, logger), doubtful: true };
    }
  }
  let updated = outcome();
  if (write.body) {
    try {
      await store.update(write.keep.name, write.body);
      updated = outcome({ updated: write.incoming ? 1 : 0 });
    } catch (e) {
      return failed(write.label, e, logger); // keep the duplicates: they still hold what the keeper lacks
    }
  }
  const removed = await removeDuplicates(store, write.extra, (dup) => `${write.label} (duplicate ${dup.name})`, logger);
  return combine([updated, removed]);
}

/** Runs the writes, at most `concurrency` at a time; each write with its outcome, in the order of the writes. */
async function executeWrites(
  store: IndicatorStore,
  writes: readonly IndicatorWrite[],
  options: Pick<SyncIndicatorsOptions, 'concurrency' | 'onProgress'>,
  logger: Logger,
): Promise<{ write: IndicatorWrite; result: WriteResult }[]> {
  const total = writes.length;
  let done = 0; // progress only: the outcomes are returned
  options.onProgress?.(done, total);
  const limit = pLimit(Math.max(1, options.concurrency));
  return Promise.all(
    writes.map((write) =>
      limit(async () => {
        const result = await executeWrite(store, write, logger);
        done += 1;
        options.onProgress?.(done, total);
        return { write, result };
      }),
    ),
  );
}

interface CreateAnswer {
  key: string;
  label: string;
  /** The service said yes; a create whose answer was an error may still have landed. */
  answered: boolean;
  /** It failed, or an attempt before its answer may have landed too: only then can it have left a ghost. */
  doubtful: boolean;
}

interface Verified {
  /** Keys of creates reported as failed that are there after all. */
  landed: Set<string>;
  /** Removals of ghost duplicates, or the read-back's failure. */
  cleanup: StepOutcome;
}

/**
 * createIndicator is not idempotent, and the SDK retries it after a 5xx, a reset or a timeout:
 * when the lost attempt had taken effect (a ghost write), the observable now has two or more
 * indicators, and a create reported as failed may have landed. So when some create failed or was
 * retried after such an attempt (lib/net/doubtfulAttemptPolicy), or the first read was not vouched
 * for (a short read would have made duplicates), ours are read again: for each observable created, the oldest indicator is kept and the others deleted (they
 * carry the same body), and a "failed" create that is there is counted as created. The counts
 * then say what exists. If the read fails, that is reported: the next run removes what is left.
 */
async function verifyCreates(
  store: IndicatorStore,
  creates: readonly CreateAnswer[],
  options: Pick<SyncIndicatorsOptions, 'source' | 'concurrency'>,
  logger: Logger,
): Promise<Verified> {
  let readBack: Map<string, StoredIndicator[]>;
  try {
    readBack = await readOurs(store, options.source, { logger });
  } catch (e) {
    // Not an item of its own (failed stays per observable), but a failure of the run.
    const error = errorLine(e);
    logger.warn({ error }, 'reading indicators back after creating failed');
    const key = 'read-back after creates (duplicates of retried creates may remain until the next run)';
    return { landed: new Set(), cleanup: outcome({}, [{ kind: 'indicator', key, error }]) };
  }
  const landed = new Set<string>();
  const ghosts: { created: CreateAnswer; found: StoredIndicator[] }[] = [];
  for (const created of creates) {
    const found = (readBack.get(created.key) ?? []).sort(keeperFirst);
    if (found.length === 0) continue;
    if (!created.answered) {
      landed.add(created.key);
      logger.info({ key: created.label }, 'a create reported as failed had landed; counted as created');
    }
    if (found.length > 1) ghosts.push({ created, found: found.slice(1) });
  }
  const duplicates = ghosts.reduce((n, g) => n + g.found.length, 0);
  if (duplicates > 0) logger.info({ duplicates }, 'removing duplicates left by retried creates');
  const limit = pLimit(Math.max(1, options.concurrency));
  const removals = ghosts.flatMap(({ created, found }) =>
    found.map((ghost) =>
      limit(() =>
        removeDuplicates(
          store,
          [ghost],
          () => `${created.label} (duplicate ${ghost.name} of a retried create)`,
          logger,
        ),
      ),
    ),
  );
  return { landed, cleanup: combine(await Promise.all(removals)) };
}

/**
 * Brings Sentinel's indicators for `source` in line with the IOCs: read what is there, plan the
 * writes, execute them, then verify doubtful creates (the read-back that removes ghost duplicates).
 */
export async function syncIndicators(
  store: IndicatorStore,
  iocs: Ioc[],
  options: SyncIndicatorsOptions,
): Promise<SyncIndicatorsResult> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? new Date();
  const wanted = new Map<string, IndicatorFacts>();
  for (const [key, group] of groupByObservable(iocs)) {
    wanted.set(key, factsFromIocs(group, { ttlDays: options.ttlDays, now }));
  }

  // The read every write is planned from: checked for completeness (a short read would duplicate).
  let unvouched = false;
  const ours = await readOurs(store, options.source, {
    checkComplete: true,
    logger,
    onUnvouched: () => (unvouched = true),
  });
  const kept = keepDeletedOut(wanted, ours, iocs, options.landedBefore, logger);
  logger.debug({ ours: ours.size, wanted: wanted.size }, 'indicators read');
  const plan = planIndicatorWrites(wanted, ours, options.source);
  const executed = await executeWrites(store, plan.writes, options, logger);

  const creates: CreateAnswer[] = [];
  for (const { write: w, result } of executed) {
    if (w.kind === 'create')
      creates.push({ key: w.key, label: w.label, answered: result.counts.created > 0, doubtful: !!result.doubtful });
  }
  // Read back only when a create may have left a ghost, or the read it was planned from was not
  // vouched for: otherwise the creates' answers already say what exists.
  const readBack = creates.length > 0 && (unvouched || creates.some((c) => c.doubtful));
  const verified = readBack ? await verifyCreates(store, creates, options, logger) : undefined;
  // A create reported as failed that landed counts as created, and its failure is withdrawn.
  const settled = executed.map(({ write: w, result }) =>
    w.kind === 'create' && verified?.landed.has(w.key) ? outcome({ created: 1 }) : result,
  );
  const { counts, failures } = combine([
    outcome({ unchanged: plan.unchanged + kept }),
    ...settled,
    ...(verified ? [verified.cleanup] : []),
  ]);
  logger.debug({ counts }, 'indicators synced');
  return { counts, failures };
}
