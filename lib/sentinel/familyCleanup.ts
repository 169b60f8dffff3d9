import { errorLine } from '../errors';
import type { SavedSearch } from '@azure/arm-operationalinsights';
import { silentLogger, type Logger } from '../logger';
import { generatedForFamilies, ownedBy } from './savedSearch';
import type { SavedSearchStore, StoredSavedSearch } from './savedSearchStore';
import { type ItemFailure } from './writeCounts';

/**
 * A removed family cleaned up: on a full run (every configured family), the hunting queries of
 * families no longer in THREATFOX_MALWARE are deleted. Only this deployment's: the `createdBy` tag
 * says this app wrote it, the `source` tag names our INDICATOR_SOURCE (another deployment or CLI
 * user on the workspace writes its own, and a search from before the tag existed has none: both are
 * left alone), its `family` tag names the family, and its id is one our scheme gives that family
 * (`threatfox-<family>-<hash>-<table>`, lib/kql/huntingQuery.ts), so an analyst's own saved
 * search, or a copy of one of ours under another id, is never touched. The family's indicators are
 * left to expire on their own: they are still malicious.
 */

export interface FamilyCleanup {
  /** Hunting queries deleted, by family. */
  removed: Record<string, number>;
  failures: ItemFailure[];
}

/** The family a saved search of ours names in its `family` tag, if any. */
function familyTag(search: Pick<SavedSearch, 'tags'>): string | undefined {
  return search.tags?.find((t) => t.name === 'family')?.value;
}

/** The saved searches `owner` (an INDICATOR_SOURCE) wrote for families not in `configured`, by family. */
export function queriesOfRemovedFamilies(
  searches: readonly StoredSavedSearch[],
  configured: readonly string[],
  owner: string,
): Map<string, StoredSavedSearch[]> {
  const keep = new Set(configured.map((f) => f.toLowerCase()));
  const byFamily = new Map<string, StoredSavedSearch[]>();
  for (const s of searches) {
    const family = familyTag(s.body);
    if (family === undefined || keep.has(family.toLowerCase()) || !ownedBy(s.body, owner)) continue;
    if (!generatedForFamilies(new Set([family]))(s)) continue;
    byFamily.set(family, [...(byFamily.get(family) ?? []), s]);
  }
  return byFamily;
}

/** Deletes `owner`'s hunting queries of every family not in `configured`; each failure is listed, the others still go. */
export async function removeQueriesOfRemovedFamilies(
  store: SavedSearchStore,
  configured: readonly string[],
  owner: string,
  logger: Logger = silentLogger,
): Promise<FamilyCleanup> {
  const result: FamilyCleanup = { removed: {}, failures: [] };
  for (const [family, searches] of queriesOfRemovedFamilies(await store.list(), configured, owner)) {
    for (const s of searches) {
      try {
        await store.remove(s.id);
        result.removed[family] = (result.removed[family] ?? 0) + 1;
      } catch (e) {
        result.failures.push({ kind: 'huntingQuery', key: s.id, error: errorLine(e) });
      }
    }
    logger.info(
      { family, removed: result.removed[family] ?? 0 },
      'hunting queries removed for a family no longer configured',
    );
  }
  return result;
}
