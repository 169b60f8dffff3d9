import type { ServiceOverrides, Services } from '../services';
import { HUNT_CHECK_TITLES, type HuntCheckId } from './checkHunts';

/** The check's lines and report: what each check is called, and how the report reads. */

export type CheckId =
  | 'settings'
  | 'threatfox'
  | 'families'
  | 'azure-login'
  | 'workspace'
  | 'indicators'
  | 'saved-searches'
  | 'write-access'
  | 'ti-table'
  | HuntCheckId;

export interface CheckLine {
  id: CheckId;
  /** What was checked, e.g. "Azure login". */
  title: string;
  ok: boolean;
  /** What was found. Never a secret: no key, no token. */
  detail: string;
  /** What to change, when not ok (absent when the line was not reached because an earlier one failed). */
  fix?: string;
  /** The SDK's long explanation, when there is one: in --json and under LOG_LEVEL=debug, never in the line. */
  debug?: string;
}

export interface CheckReport {
  ok: boolean;
  lines: CheckLine[];
}

/** The settings to check, and what tests swap into the services the check builds from them (credential, fakes, ThreatFox, Logs). */
export interface CheckDeps extends ServiceOverrides {
  /** Settings as the app or CLI sees them (process.env). */
  env: NodeJS.ProcessEnv;
  /** Per Azure call (default 30 s): a check must end by itself. */
  timeoutMs?: number;
}

/** What each check reads: the services built from the settings, and the run's environment and timeout. */
export interface CheckRun {
  services: Services;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** The table the hunting queries and the TI-map rules read indicators from. */
export const TI_TABLE = 'ThreatIntelIndicators';

const TITLES: Record<CheckId, string> = {
  settings: 'Settings',
  threatfox: 'ThreatFox API and Auth-Key',
  families: 'ThreatFox malware families',
  'azure-login': 'Azure login',
  workspace: 'Sentinel workspace',
  indicators: 'Read threat-intelligence indicators',
  'saved-searches': 'Read saved searches (hunting queries)',
  'write-access': 'Role allows the writes',
  'ti-table': `Table ${TI_TABLE}`,
  ...HUNT_CHECK_TITLES,
};

/** Every check, in the order a report lists them. */
export const CHECK_IDS = Object.keys(TITLES) as CheckId[];

export function line(id: CheckId, ok: boolean, detail: string, fix?: string): CheckLine {
  return { id, title: TITLES[id], ok, detail, ...(ok || !fix ? {} : { fix }) };
}

export const notChecked = (l: CheckLine) => !l.ok && /^(\S+: )?not checked: /.test(l.detail);

export function notReached(ids: CheckId[], because: string): CheckLine[] {
  return ids.map((id) => line(id, false, `not checked: ${because}`));
}

/**
 * The report as a person reads it: one line per check, ✓ or ✗, the fix under a failure; with
 * `debug` (LOG_LEVEL=debug) also the SDK's own explanation under the line it belongs to.
 */
export function formatCheck(report: CheckReport, options: { debug?: boolean } = {}): string {
  const width = Math.max(...report.lines.map((l) => l.title.length));
  const out: string[] = [];
  for (const l of report.lines) {
    // A line an earlier failure kept from running is not a failure of its own: "-", not "✗".
    out.push(`${l.ok ? '✓' : notChecked(l) ? '-' : '✗'} ${l.title.padEnd(width)}  ${l.detail}`);
    if (l.fix) out.push(`  ${' '.repeat(width)}  fix: ${l.fix}`);
    if (options.debug && l.debug) out.push(`  ${' '.repeat(width)}  debug: ${l.debug.replace(/\s+/g, ' ')}`);
  }
  const skipped = report.lines.filter(notChecked).length;
  const failed = report.lines.filter((l) => !l.ok).length - skipped;
  out.push(
    report.ok
      ? 'All checks passed.'
      : `${failed} of ${report.lines.length} checks failed${skipped ? `, ${skipped} not checked` : ''}.`,
  );
  return `${out.join('\n')}\n`;
}
