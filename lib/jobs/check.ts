import { z } from 'zod';
import { missingWorkspaceSettings, type Settings } from '../config';
import { errorMessage } from '../errors';
import { silentLogger } from '../logger';
import { createServices, type Services } from '../services';
import { APP_WRITE_ACTIONS } from '../sentinel/permissions';
import { checkAzure } from './checkAzure';
import {
  CHECK_IDS,
  formatCheck,
  line,
  notReached,
  type CheckDeps,
  type CheckLine,
  type CheckReport,
  type CheckRun,
} from './checkReport';
import { checkThreatFox } from './checkThreatFox';

/**
 * The preflight check (`npm run check`, or `{"check": true}` to the HTTP trigger): every outside
 * thing a sync needs, tried once, read-only. Each line says what was tried, what was found and,
 * when it failed, what to change (which setting, which role). Nothing here writes: ThreatFox gets
 * one `malwareinfo` with limit 1 per family, ARM gets GETs and one queryIndicators page (a POST
 * that only reads).
 */

export { CHECK_IDS, formatCheck, TI_TABLE } from './checkReport';
export type { CheckDeps, CheckId, CheckLine, CheckReport } from './checkReport';
export { principalOf } from './checkAzure';

/**
 * What a sync does to the workspace, as Azure RBAC names the operations: the writes of the app's
 * role (lib/sentinel/appRole.json, which infra/ builds the custom role from).
 */
export const WRITE_ACTIONS = APP_WRITE_ACTIONS;

/** The body that asks the HTTP trigger for the check instead of a sync: exactly `{"check": true}`. */
export const checkRequestSchema = z.object({ check: z.literal(true) }).strict();

export function isCheckRequest(text: string): boolean {
  try {
    return checkRequestSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

export async function runCheck(deps: CheckDeps): Promise<CheckReport> {
  const { env, timeoutMs = 30_000, ...overrides } = deps;
  let services: Services;
  try {
    // The check's report is its output: the clients log nowhere.
    services = createServices(env, { ...overrides, logger: overrides.logger ?? silentLogger });
  } catch (e) {
    const detail = errorMessage(e)
      .replace(/^Invalid settings:\n/, '')
      .replace(/\n- /g, '; ')
      .replace(/^- /, '');
    const lines = [
      line('settings', false, detail, 'correct the settings named above (every setting: docs/settings.md)'),
      ...notReached(CHECK_IDS.slice(1), 'the settings are invalid'),
    ];
    return { ok: false, lines };
  }
  const run: CheckRun = { services, env, timeoutMs };
  const lines = [settingsLine(services.settings), ...(await checkThreatFox(run)), ...(await checkAzure(run))];
  return { ok: lines.every((l) => l.ok), lines };
}

/**
 * The first line a newcomer reads: the settings a sync cannot do without that are not set, named
 * before anything is tried (no workspace, no Auth-Key), so the first fix is the right one.
 */
function settingsLine(settings: Settings): CheckLine {
  const s = settings.sentinel;
  const missing = [
    ...(settings.threatfox.authKey ? [] : ['THREATFOX_AUTH_KEY']),
    ...(s.workspaces ? [] : missingWorkspaceSettings(s)),
  ];
  if (missing.length === 0) return line('settings', true, `valid; families ${settings.threatfox.malware.join(', ')}`);
  const workspace = !s.workspaces && missingWorkspaceSettings(s).length > 0;
  return line(
    'settings',
    false,
    `not set: ${missing.join(', ')}${workspace ? ' (or SENTINEL_WORKSPACES)' : ''}`,
    `set ${missing.length === 1 ? 'it' : 'them'} (docs/settings.md), in the shell for npm run check (local.settings.json is read only by func start), then run the check again`,
  );
}

/**
 * The HTTP trigger's answer to `{"check": true}`: 200 when every check passed, 503 (not ready)
 * when one failed; both carry the lines, and `text` is the report as `npm run check` prints it.
 */
export async function checkAnswer(
  deps: CheckDeps,
): Promise<{ status: 200 | 503; body: CheckReport & { text: string } }> {
  const report = await runCheck(deps);
  return { status: report.ok ? 200 : 503, body: { ok: report.ok, lines: report.lines, text: formatCheck(report) } };
}
