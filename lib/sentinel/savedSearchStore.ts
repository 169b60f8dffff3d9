import type { OperationalInsightsManagementClient, SavedSearch } from '@azure/arm-operationalinsights';
import type { SentinelTarget } from '../config';
import { statusOf } from '../net/status';

/** A saved search as the workspace holds it; `id` is the last segment of its resource id. */
export interface StoredSavedSearch {
  id: string;
  body: SavedSearch;
}

/** The Log Analytics saved searches (Sentinel hunting queries) of one workspace. */
export interface SavedSearchStore {
  get(id: string): Promise<SavedSearch | undefined>;
  /** Creates or replaces the saved search `id`. */
  put(id: string, body: SavedSearch): Promise<SavedSearch>;
  /** Every saved search of the workspace, in one call (the API does not page). */
  list(): Promise<StoredSavedSearch[]>;
  remove(id: string): Promise<void>;
}

/** The saved-search store over `@azure/arm-operationalinsights` 9.x (api-version 2020-08-01). */
export function armSavedSearchStore(
  client: OperationalInsightsManagementClient,
  target: Pick<SentinelTarget, 'resourceGroup' | 'workspaceName'>,
): SavedSearchStore {
  const { resourceGroup, workspaceName } = target;
  return {
    async get(id) {
      try {
        return await client.savedSearches.get(resourceGroup, workspaceName, id);
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw e;
      }
    },
    put(id, body) {
      return client.savedSearches.createOrUpdate(resourceGroup, workspaceName, id, body);
    },
    async remove(id) {
      await client.savedSearches.delete(resourceGroup, workspaceName, id);
    },
    async list() {
      const result = await client.savedSearches.listByWorkspace(resourceGroup, workspaceName);
      return (result.value ?? []).flatMap((s) => {
        const id = s.name ?? s.id?.split('/').pop();
        return id ? [{ id, body: s }] : [];
      });
    },
  };
}
