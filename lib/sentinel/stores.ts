import type { HuntingQuery } from '../kql/huntingQuery';
import type { IndicatorStore } from './indicatorStore';
import type { SavedSearchStore } from './savedSearchStore';
import type { SkippedHunt, WorkspaceTableReader } from './workspaceTables';
import type { ItemFailure, WriteCounts } from './writeCounts';
import type { WorkspaceRef } from '../workspaceRef';

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

/** One workspace's stores, named. */
export interface WorkspaceStores extends SentinelStores {
  workspace: WorkspaceRef;
  /** Writer concurrency that keeps this workspace's store busy (the upload path batches 100 at a time). */
  writeConcurrency?: number;
}
