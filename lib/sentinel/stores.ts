import type { HuntingQuery } from '../kql/huntingQueries';
import type { IndicatorStore } from './indicatorStore';
import type { SavedSearchStore } from './savedSearchStore';
import type { SkippedHunt, WorkspaceTableReader } from './workspaceTables';
import type { ItemFailure, WriteCounts } from './writeCounts';

/** One workspace as the writer sees it: TI indicators and saved searches behind small stores. */
export interface SentinelStores {
  indicators: IndicatorStore;
  savedSearches: SavedSearchStore;
  /** The workspace's tables, so only hunts it has data for are written (absent: every hunt is written). */
  tables?: WorkspaceTableReader;
}

/** What one publish (indicators, then the families' saved searches) did to one workspace. */
export interface PublishResult {
  indicators: WriteCounts;
  huntingQueries: WriteCounts;
  failures: ItemFailure[];
  queries: HuntingQuery[];
  /** Hunts not written because the workspace lacks their table, with the connector that would add it. */
  skippedHunts?: SkippedHunt[];
}
