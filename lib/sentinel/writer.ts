/**
 * The writers' old entry point, kept for test/bench/run.ts (owned elsewhere): import from
 * indicatorWriter, savedSearchWriter and writeCounts instead.
 */
export { syncIndicators, type SyncIndicatorsOptions, type SyncIndicatorsResult } from './indicatorWriter';
export { syncSavedSearches, type SavedSearchSpec, type SyncSavedSearchesOptions } from './savedSearchWriter';
export { addCounts, describeError, zeroCounts, type ItemFailure, type WriteCounts } from './writeCounts';
