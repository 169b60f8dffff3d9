import { errorLine } from '../errors';
import type { SavedSearch, Tag } from '@azure/arm-operationalinsights';
import pLimit from 'p-limit';
import { silentLogger, type Logger } from '../logger';
import { statusOf } from '../net/status';
import type { SavedSearchStore, StoredSavedSearch } from './savedSearchStore';
import { combine, outcome, type ItemFailure, type StepOutcome, type WriteCounts } from './writeCounts';

/**
 * Publishes saved searches (hunting queries) to Sentinel: they have stable ids and are PUT only
 * when a field we own differs; owned searches no longer wanted are deleted. A search that fails is
 * counted and reported, and the others carry on.
 */

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

interface SavedSearchesThere {
  /** By lower-cased id: saved-search ids are case-insensitive in ARM. */
  existing: Map<string, SavedSearch>;
  /** Owned searches no longer wanted: deleted. */
  stale: StoredSavedSearch[];
}

async function readSavedSearches(
  store: SavedSearchStore,
  searches: readonly SavedSearchSpec[],
  owns: SyncSavedSearchesOptions['owns'],
): Promise<SavedSearchesThere> {
  const listed = await store.list();
  const wanted = new Set(searches.map((s) => s.id.toLowerCase()));
  return {
    existing: new Map(listed.map((s) => [s.id.toLowerCase(), s.body])),
    stale: owns ? listed.filter((s) => !wanted.has(s.id.toLowerCase()) && owns(s)) : [],
  };
}

function savedSearchFailed(id: string, e: unknown, logger: Logger, message: string): StepOutcome {
  const error = errorLine(e);
  logger.warn({ id, error }, message);
  return outcome({ failed: 1 }, [{ kind: 'huntingQuery', key: id, error }]);
}

/** Creates or replaces one search; throws what the store throws. */
async function putSavedSearch(
  store: SavedSearchStore,
  s: SavedSearchSpec,
  current: SavedSearch | undefined,
): Promise<StepOutcome> {
  // Replacing needs the current etag (or the service refuses to overwrite); creating must not send one.
  const body: SavedSearch = current ? { ...s.body, etag: current.etag ?? '*' } : { ...s.body };
  if (!current) delete body.etag;
  try {
    await store.put(s.id, body);
    return outcome(current ? { updated: 1 } : { created: 1 });
  } catch (e) {
    // Another run (no lock: batches write side by side) created it since we listed: ours if it says the same, else replace it.
    if (current || statusOf(e) !== 409) throw e;
    const now = await store.get(s.id);
    if (now && sameSavedSearch(now, s.body)) return outcome({ unchanged: 1 });
    await store.put(s.id, { ...s.body, etag: now?.etag ?? '*' });
    return outcome({ updated: 1 });
  }
}

async function writeSavedSearch(
  store: SavedSearchStore,
  s: SavedSearchSpec,
  current: SavedSearch | undefined,
  logger: Logger,
): Promise<StepOutcome> {
  if (current && sameSavedSearch(current, s.body)) return outcome({ unchanged: 1 });
  try {
    return await putSavedSearch(store, s, current);
  } catch (e) {
    return savedSearchFailed(s.id, e, logger, 'saved search write failed');
  }
}

async function removeStaleSavedSearch(store: SavedSearchStore, id: string, logger: Logger): Promise<StepOutcome> {
  try {
    await store.remove(id);
    return outcome({ deleted: 1 });
  } catch (e) {
    return savedSearchFailed(id, e, logger, 'stale saved search delete failed');
  }
}

export async function syncSavedSearches(
  store: SavedSearchStore,
  searches: SavedSearchSpec[],
  options: SyncSavedSearchesOptions,
): Promise<{ counts: WriteCounts; failures: ItemFailure[] }> {
  const logger = options.logger ?? silentLogger;
  if (searches.length === 0 && !options.owns) return outcome();
  let there: SavedSearchesThere;
  try {
    there = await readSavedSearches(store, searches, options.owns);
  } catch (e) {
    // Without the list nothing can be compared; every search is reported, none is silently skipped.
    const error = errorLine(e);
    logger.warn({ error }, 'listing saved searches failed');
    return outcome(
      { failed: searches.length },
      searches.map((s) => ({ kind: 'huntingQuery', key: s.id, error })),
    );
  }
  const limit = pLimit(Math.max(1, options.concurrency));
  const outcomes = await Promise.all([
    ...searches.map((s) => limit(() => writeSavedSearch(store, s, there.existing.get(s.id.toLowerCase()), logger))),
    ...there.stale.map((s) => limit(() => removeStaleSavedSearch(store, s.id, logger))),
  ]);
  return combine(outcomes);
}
