import type { SavedSearch } from '@azure/arm-operationalinsights';
import { GENERATOR } from '../names';
import { isHuntingQueryIdOf, type HuntingQuery } from '../kql/huntingQuery';

/** The saved-search category the Sentinel Hunting blade lists. */
export const HUNTING_CATEGORY = 'Hunting Queries';

/** Tag that marks a saved search as ours (the portal shows `createdBy` as the author). */
export const GENERATOR_TAG = { name: 'createdBy', value: GENERATOR } as const;

/** Tag naming the deployment that wrote a saved search: its INDICATOR_SOURCE. */
export const OWNER_TAG = 'source';

/**
 * A hunting query as the Log Analytics saved search Sentinel reads: category `Hunting Queries`,
 * query language version 2, and the tags the Hunting blade shows (`description`, `tactics`,
 * `techniques`, comma-separated as Azure-Sentinel's solution templates write them). `owner` (the
 * writer's INDICATOR_SOURCE) goes in the `source` tag, so a removed family's cleanup deletes only
 * what this deployment wrote. No time stamps, so an unchanged query gives an identical body and is
 * not rewritten.
 */
export function toSavedSearch(q: HuntingQuery, owner: string): { id: string; body: SavedSearch } {
  const tags = [
    { name: 'description', value: q.description },
    { name: 'tactics', value: q.tactics.join(',') },
    { name: 'techniques', value: q.techniques.join(',') },
    { ...GENERATOR_TAG },
    { name: 'family', value: q.family },
    { name: 'table', value: q.table },
    { name: OWNER_TAG, value: owner },
  ];
  return {
    id: q.id,
    body: {
      category: HUNTING_CATEGORY,
      displayName: q.name,
      query: q.query,
      version: 2,
      tags,
    },
  };
}

/** True when a saved search read back from the workspace was written by this tool. */
export function isGeneratedSavedSearch(search: Pick<SavedSearch, 'tags'>): boolean {
  return (search.tags ?? []).some((t) => t.name === GENERATOR_TAG.name && t.value === GENERATOR_TAG.value);
}

/** True when a saved search's owner tag names `owner` (an INDICATOR_SOURCE); a search without the tag is nobody's. */
export function ownedBy(search: Pick<SavedSearch, 'tags'>, owner: string): boolean {
  return (search.tags ?? []).some((t) => t.name === OWNER_TAG && t.value === owner);
}

/**
 * The generated searches of these families: what a sync of those families owns and may prune.
 * Tag and id must both say so, so a copy an analyst made of one of ours (tags and all) is left alone.
 */
export function generatedForFamilies(
  families: ReadonlySet<string>,
): (search: { id: string; body: Pick<SavedSearch, 'tags'> }) => boolean {
  return ({ id, body }) =>
    isGeneratedSavedSearch(body) &&
    (body.tags ?? []).some(
      (t) => t.name === 'family' && t.value !== undefined && families.has(t.value) && isHuntingQueryIdOf(t.value, id),
    );
}
