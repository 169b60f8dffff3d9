/**
 * What a write to Sentinel did, shared by the indicator and saved-search writers: counts, the
 * items that failed, and a failure as one line.
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

export const zeroCounts = (): WriteCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0 });

/** Two sets of counts with the same keys, summed key by key (write counts, reconcile counts). */
export function sumCounts<T extends Record<keyof T, number>>(a: T, b: T): T {
  const sum = { ...a };
  for (const key of Object.keys(a) as (keyof T)[]) sum[key] = (a[key] + b[key]) as T[keyof T];
  return sum;
}

export const addCounts = (a: WriteCounts, b: WriteCounts): WriteCounts => sumCounts(a, b);

/** What one step did: its counts and the items it could not write. */
export interface StepOutcome {
  counts: WriteCounts;
  failures: ItemFailure[];
}

export const outcome = (counts: Partial<WriteCounts> = {}, failures: ItemFailure[] = []): StepOutcome => ({
  counts: { ...zeroCounts(), ...counts },
  failures,
});

/** The sum of several outcomes, failures in the order of the outcomes. */
export function combine(outcomes: readonly StepOutcome[]): StepOutcome {
  return {
    counts: outcomes.reduce((sum, o) => addCounts(sum, o.counts), zeroCounts()),
    failures: outcomes.flatMap((o) => o.failures),
  };
}
