import type { SavedSearch, Tag } from '@azure/arm-operationalinsights';
import pLimit from 'p-limit';
import type { Ioc } from '../ioc/types';
import { silentLogger, type Logger } from '../logger';
import {
  factsFromIndicator,
  factsFromIocs,
  groupByObservable,
  mergeFacts,
  reconcileIndicator,
  renderIndicator,
  type IndicatorFacts,
} from './indicator';
import type { IndicatorStore, StoredIndicator } from './indicatorStore';
import type { SavedSearchStore, StoredSavedSearch } from './savedSearchStore';
import { observableKey, parsePattern } from './stix';

/**
 * Publishes to Sentinel, writing only what changed.
 *
 * Indicators are found again by source + observable (Sentinel names them on create), read once
 * per run; new ones are created, changed ones replaced, duplicates removed; after creating, ours
 * are read again so duplicates a retried create left are removed in the same run. Saved searches have stable ids and are PUT only when a field we own differs.
 * Retrying (429 Retry-After, 5xx/network backoff) happens inside the SDK pipeline; an item that
 * still fails is counted and reported here, and the others carry on.
 */

export interface WriteCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
}

export interface ItemFailure {
  /** `workspace`: the whole workspace failed (denied, not found, unreadable); its items were not tried. */
  kind: 'indicator' | 'huntingQuery' | 'workspace';
  key: string;
  error: string;
  /** Which workspace, when the run writes to several (lib/sentinel/workspaceSync.ts). */
  workspace?: string;
}

export interface SyncIndicatorsOptions {
  source: string;
  ttlDays: number;
  concurrency: number;
  now?: Date;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
}

export interface SyncIndicatorsResult {
  counts: WriteCounts;
  failures: ItemFailure[];
}

const zero = (): WriteCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0 });

/** A failure as one line: status and ARM error code when there are, never request headers. */
export function describeError(e: unknown): string {
  if (e && typeof e === 'object') {
    const err = e as { statusCode?: number; code?: string; message?: string };
    const status = err.statusCode ? `HTTP ${err.statusCode}` : undefined;
    const code = err.code && err.code !== String(err.statusCode) ? err.code : undefined;
    const message = (err.message ?? String(e)).split('\n')[0].slice(0, 500);
    return [status, code, message].filter(Boolean).join(' ');
  }
  return String(e);
}

function timeOf(value: string | undefined): number {
  const t = value ? Date.parse(value) : NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** Which of several indicators for one observable to keep: the oldest, then by name, so every run agrees. */
function keeperFirst(a: StoredIndicator, b: StoredIndicator): number {
  const ca = timeOf(a.properties.created);
  const cb = timeOf(b.properties.created);
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function observableLabel(f: Pick<IndicatorFacts, 'type' | 'value'>): string {
  return `${f.type}:${f.value}`;
}

/** Ours by observable: every indicator whose source is ours and whose pattern is a simple one we could have written. */
async function readOurs(store: IndicatorStore, source: string): Promise<Map<string, StoredIndicator[]>> {
  const ours = new Map<string, StoredIndicator[]>();
  for await (const item of store.listBySource(source)) {
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

export async function syncIndicators(
  store: IndicatorStore,
  iocs: Ioc[],
  options: SyncIndicatorsOptions,
): Promise<SyncIndicatorsResult> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? new Date();
  const counts = zero();
  const failures: ItemFailure[] = [];

  const wanted = new Map<string, IndicatorFacts>();
  for (const [key, group] of groupByObservable(iocs)) {
    wanted.set(key, factsFromIocs(group, { ttlDays: options.ttlDays, now }));
  }

  const ours = await readOurs(store, options.source);
  logger.debug({ ours: ours.size, wanted: wanted.size }, 'indicators read');

  const tasks: (() => Promise<void>)[] = [];
  /** Observables this run creates, and whether the service said yes: checked again after the writes. */
  const creates = new Map<string, { label: string; answered: boolean }>();

  const fail = (key: string, e: unknown) => {
    counts.failed += 1;
    const error = describeError(e);
    failures.push({ kind: 'indicator', key, error });
    logger.warn({ key, error }, 'indicator write failed');
  };

  for (const [key, facts] of wanted) {
    const existing = (ours.get(key) ?? []).sort(keeperFirst);
    const label = observableLabel(facts);
    if (existing.length === 0) {
      const body = renderIndicator(facts, options.source);
      const created = { label, answered: false };
      creates.set(key, created);
      tasks.push(async () => {
        try {
          await store.create(body);
          created.answered = true;
          counts.created += 1;
        } catch (e) {
          fail(label, e);
        }
      });
      continue;
    }
    const [keep, ...extra] = existing;
    consolidate(key, label, keep, extra, facts);
  }

  // Duplicates of observables not in this batch go too: one indicator per observable, always.
  for (const [key, existing] of ours) {
    if (wanted.has(key)) continue;
    const [keep, ...extra] = existing.sort(keeperFirst);
    const observable = parsePattern(keep.properties.pattern ?? '');
    const label = observable ? observableLabel(observable) : keep.name;
    consolidate(key, label, keep, extra, undefined);
  }

  /**
   * Brings one observable down to one indicator that says everything: what the batch adds and what
   * the duplicates carry (another family's label, a port, a ThreatFox id) is merged into the keeper
   * first, and the duplicates are deleted only once the keeper holds it all.
   */
  function consolidate(
    key: string,
    label: string,
    keep: StoredIndicator,
    extra: StoredIndicator[],
    incoming: IndicatorFacts | undefined,
  ) {
    let facts = incoming;
    for (const dup of extra) {
      const f = factsFromIndicator(dup.properties);
      if (f) facts = facts ? mergeFacts(f, facts) : f;
    }
    const body = facts ? reconcileIndicator(keep.properties, facts, options.source) : undefined;
    if (!body) {
      if (incoming) counts.unchanged += 1;
      if (extra.length === 0) return;
    }
    tasks.push(async () => {
      if (body) {
        try {
          await store.update(keep.name, body);
          if (incoming) counts.updated += 1;
        } catch (e) {
          fail(label, e);
          return; // keep the duplicates: they still hold what the keeper lacks
        }
      }
      for (const dup of extra) {
        try {
          await store.remove(dup.name);
          counts.deleted += 1;
        } catch (e) {
          fail(`${label} (duplicate ${dup.name})`, e);
        }
      }
    });
  }

  const total = tasks.length;
  let done = 0;
  options.onProgress?.(done, total);
  const limit = pLimit(Math.max(1, options.concurrency));
  await Promise.all(
    tasks.map((task) =>
      limit(async () => {
        await task();
        done += 1;
        options.onProgress?.(done, total);
      }),
    ),
  );
  if (creates.size > 0) await settleCreates();

  /**
   * createIndicator is not idempotent, and the SDK retries it after a 5xx, a reset or a timeout:
   * when the lost attempt had taken effect (a ghost write), the observable now has two or more
   * indicators, and a create reported as failed may have landed. So after creating, ours are read
   * again: for each observable created, the oldest indicator is kept and the others deleted (they
   * carry the same body), and a "failed" create that is there is counted as created. The counts
   * then say what exists. If the read fails, that is reported: the next run removes what is left.
   */
  async function settleCreates(): Promise<void> {
    let readBack: Map<string, StoredIndicator[]>;
    try {
      readBack = await readOurs(store, options.source);
    } catch (e) {
      // Not an item of its own (counts.failed stays per observable), but a failure of the run.
      const error = describeError(e);
      failures.push({
        kind: 'indicator',
        key: 'read-back after creates (duplicates of retried creates may remain until the next run)',
        error,
      });
      logger.warn({ error }, 'reading indicators back after creating failed');
      return;
    }
    const removals: (() => Promise<void>)[] = [];
    for (const [key, created] of creates) {
      const found = (readBack.get(key) ?? []).sort(keeperFirst);
      if (found.length === 0) continue;
      const ghosts = found.slice(1);
      if (!created.answered) {
        // Its answer was an error, but the indicator is there.
        const at = failures.findIndex((f) => f.kind === 'indicator' && f.key === created.label);
        if (at >= 0) failures.splice(at, 1);
        counts.failed -= 1;
        counts.created += 1;
        logger.info({ key: created.label }, 'a create reported as failed had landed; counted as created');
      }
      for (const ghost of ghosts) {
        removals.push(async () => {
          try {
            await store.remove(ghost.name);
            counts.deleted += 1;
          } catch (e) {
            fail(`${created.label} (duplicate ${ghost.name} of a retried create)`, e);
          }
        });
      }
    }
    if (removals.length > 0)
      logger.info({ duplicates: removals.length }, 'removing duplicates left by retried creates');
    await Promise.all(removals.map((removal) => limit(removal)));
  }

  logger.debug({ counts }, 'indicators synced');
  return { counts, failures };
}

export interface SavedSearchSpec {
  id: string;
  body: SavedSearch;
}

export interface SyncSavedSearchesOptions {
  concurrency: number;
  logger?: Logger;
  /**
   * Which existing searches this sync owns: one of those that is no longer wanted (a family's
   * query that shrank from three parts to two) is deleted, so no stale query keeps hunting.
   */
  owns?: (search: StoredSavedSearch) => boolean;
}

function tagsKey(tags: Tag[] | undefined): string[] {
  return (tags ?? []).map((t) => `${t.name}\u0000${t.value}`).sort();
}

/** The fields of a saved search we own; version, function alias and the like are left to the service. */
function sameSavedSearch(a: SavedSearch, b: SavedSearch): boolean {
  return (
    a.query === b.query &&
    a.displayName === b.displayName &&
    a.category === b.category &&
    JSON.stringify(tagsKey(a.tags)) === JSON.stringify(tagsKey(b.tags))
  );
}

export async function syncSavedSearches(
  store: SavedSearchStore,
  searches: SavedSearchSpec[],
  options: SyncSavedSearchesOptions,
): Promise<{ counts: WriteCounts; failures: ItemFailure[] }> {
  const logger = options.logger ?? silentLogger;
  const counts = zero();
  const failures: ItemFailure[] = [];
  if (searches.length === 0 && !options.owns) return { counts, failures };

  let existing: Map<string, SavedSearch>;
  let stale: StoredSavedSearch[];
  try {
    // Saved-search ids are case-insensitive in ARM.
    const listed = await store.list();
    existing = new Map(listed.map((s) => [s.id.toLowerCase(), s.body]));
    const wanted = new Set(searches.map((s) => s.id.toLowerCase()));
    stale = options.owns ? listed.filter((s) => !wanted.has(s.id.toLowerCase()) && options.owns!(s)) : [];
  } catch (e) {
    // Without the list nothing can be compared; every search is reported, none is silently skipped.
    const error = describeError(e);
    for (const s of searches) failures.push({ kind: 'huntingQuery', key: s.id, error });
    counts.failed = searches.length;
    logger.warn({ error }, 'listing saved searches failed');
    return { counts, failures };
  }

  const limit = pLimit(Math.max(1, options.concurrency));
  await Promise.all([
    ...searches.map((s) =>
      limit(async () => {
        const current = existing.get(s.id.toLowerCase());
        if (current && sameSavedSearch(current, s.body)) {
          counts.unchanged += 1;
          return;
        }
        try {
          // Replacing needs the current etag (or the service refuses to overwrite); creating must not send one.
          const body: SavedSearch = current ? { ...s.body, etag: current.etag ?? '*' } : { ...s.body };
          if (!current) delete body.etag;
          try {
            await store.put(s.id, body);
          } catch (e) {
            // Another run (no lock: batches write side by side) created it since we listed: ours if it says the same, else replace it.
            if (current || (e as { statusCode?: number }).statusCode !== 409) throw e;
            const now = await store.get(s.id);
            if (now && sameSavedSearch(now, s.body)) {
              counts.unchanged += 1;
              return;
            }
            await store.put(s.id, { ...s.body, etag: now?.etag ?? '*' });
            counts.updated += 1;
            return;
          }
          if (current) counts.updated += 1;
          else counts.created += 1;
        } catch (e) {
          counts.failed += 1;
          const error = describeError(e);
          failures.push({ kind: 'huntingQuery', key: s.id, error });
          logger.warn({ id: s.id, error }, 'saved search write failed');
        }
      }),
    ),
    ...stale.map((s) =>
      limit(async () => {
        try {
          await store.remove(s.id);
          counts.deleted += 1;
        } catch (e) {
          counts.failed += 1;
          const error = describeError(e);
          failures.push({ kind: 'huntingQuery', key: s.id, error });
          logger.warn({ id: s.id, error }, 'stale saved search delete failed');
        }
      }),
    ),
  ]);
  return { counts, failures };
}
