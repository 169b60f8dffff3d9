import { huntingQueryCountsText } from './render/queryCounts';
import { BENIGN_KINDS } from './ioc/benign';
import { OUT_FILES } from './output';
import type { SyncResult } from './pipeline';
import { describeSkipped } from './sentinel/workspaceTables';
import { removedLines } from './sentinel/lifecycle';
import type { WriteCounts } from './sentinel/writeCounts';

/** The CLI's summary of a run, as a person reads it on a terminal. */

/** How many rejection reasons the terminal shows; the rest are in rejected.json. */
const SHOWN_REJECTIONS = 5;

/** The run's result as a person reads it: counts, the first rejection reasons, where the rest are. */
export function humanSummary(
  result: SyncResult,
  options: { out?: string; files?: number; removed?: number },
): string[] {
  const s = result.summary;
  const types = Object.entries(s.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  const lines = [
    `${s.dryRun ? 'Dry run' : 'Sync'}: ${s.iocs} IOCs (${types || 'none'}) from ${s.read} entries, ${s.rejected} rejected; families: ${s.families.join(', ') || 'none'}`,
  ];
  if (s.skipped > 0) lines.push(`Skipped ${s.skipped} ThreatFox records of families not named by --malware.`);
  const benign = BENIGN_KINDS.filter((k) => s.benign[k] > 0).map((k) => `${s.benign[k]} ${k}`);
  if (benign.length > 0)
    lines.push(
      `Refused as well-known benign: ${benign.join(', ')} (see BENIGN_ALLOWLIST in the README to add your own).`,
    );
  if (result.rejected.length > 0) {
    const shown = result.rejected.slice(0, SHOWN_REJECTIONS);
    lines.push(
      `Rejected${result.rejected.length > shown.length ? ` (first ${shown.length} of ${result.rejected.length})` : ''}:`,
    );
    for (const r of shown) lines.push(`  ${oneLine(r.input, 80)}: ${oneLine(r.reason, 200)}`);
    const where = options.out ? `${options.out}/${OUT_FILES.rejected}` : 'rerun with --out DIR for rejected.json';
    if (result.rejected.length > shown.length)
      lines.push(`  … all ${result.rejected.length} with their reasons: ${where}`);
  }
  const queries = huntingQueryCountsText({
    savedSearches: s.huntingQueries.savedSearches,
    exported: s.huntingQueries.exported,
    families: s.families.length,
    split: result.plan.huntingQueries.some((q) => q.part !== undefined),
  });
  lines.push(
    s.dryRun
      ? `Would write ${s.indicators.planned} indicators${s.indicators.expired ? ` (${s.indicators.expired} already past their validity)` : ''}; hunting queries: ${queries}.`
      : `Indicators: ${fmt(s.indicators, 'duplicates')}. Hunting queries: ${queries}; saved searches ${fmt(s.huntingQueries, 'stale')}.`,
  );
  if (s.skippedHunts?.length)
    lines.push(
      `Not written, no such table in the workspace: ${s.skippedHunts.length} hunting queries; connect ${describeSkipped(s.skippedHunts)}, and the next run adds them.`,
    );
  // Several workspaces: each one's own line, so a failed one is named.
  if ((s.workspaces?.length ?? 0) > 1) {
    for (const w of s.workspaces!) {
      lines.push(
        w.status === 'failed'
          ? `  ${w.workspace}: FAILED: ${oneLine(w.error ?? 'failed', 300)}`
          : `  ${w.workspace}: indicators ${fmt(w.indicators, 'duplicates')}; hunting queries ${fmt(w.huntingQueries, 'stale')}${w.status === 'partial' ? ' (partial)' : ''}`,
      );
    }
  }
  lines.push(...lifecycleLines(s));
  if (options.out) {
    lines.push(
      `Wrote ${options.files ?? 0} files to ${options.out}${options.removed ? `, removed ${options.removed} stale hunting-query files` : ''}.`,
    );
  }
  return lines;
}

/** What the lifecycle step did, when it ran: reconcile counts, removed families' hunting queries. */
function lifecycleLines(s: SyncResult['summary']): string[] {
  const r = s.lifecycle?.reconcile;
  const removed = removedLines(s.lifecycle?.huntingQueriesRemoved ?? {});
  return [
    ...(r
      ? [
          `Reconciled with ThreatFox: ${r.confirmed} confirmed, ${r.revoked} revoked, ${r.lookupFailed} look-ups failed, ${r.notChecked} not checked this run, ${r.failed} failed.`,
        ]
      : []),
    ...removed.map((line) => `${line[0]?.toUpperCase() ?? ''}${line.slice(1)}.`),
  ];
}

/** Hostile input shown on a terminal: no control characters, bounded length. */
function oneLine(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const fmt = (c: WriteCounts, removed: 'duplicates' | 'stale') =>
  `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.deleted} ${removed} removed, ${c.failed} failed`;
