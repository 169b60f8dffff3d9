import type { LifecycleResult } from '../sentinel/lifecycle';
import type { RunCounts } from './runHistory';

/** The lifecycle step's counts as run-history columns (what is not done is not written). */
export function lifecycleRunCounts(done: Omit<LifecycleResult, 'failures'> | undefined): RunCounts {
  if (!done) return {};
  const removed = Object.values(done.huntingQueriesRemoved).reduce((sum, n) => sum + n, 0);
  const r = done.reconcile;
  return {
    ...(r
      ? {
          reconcileConfirmed: r.confirmed,
          reconcileRevoked: r.revoked,
          reconcileLookupFailed: r.lookupFailed,
          reconcileNotChecked: r.notChecked,
          reconcileFailed: r.failed,
        }
      : {}),
    queriesRemovedForFamilies: removed,
  };
}
