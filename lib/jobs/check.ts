import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { loadSettings, missingWorkspaceSettings, type SentinelTarget, type Settings } from '../config';
import { asAzureAccessError, errorMessage, isSettingError, isSyncError, restStatus, safeLine } from '../errors';
import { createArmClients, type ArmClients } from '../sentinel/armClients';
import { createCredential } from '../sentinel/credential';
import { APP_WRITE_ACTIONS, missingActions } from '../sentinel/permissions';
import { ThreatFoxClient, type ThreatFoxSource } from '../threatfox/client';
import type { LogsQueryRunner } from '../sentinel/logsQuery';
import { HUNT_CHECK_TITLES, huntLines, type HuntCheckId } from './checkHunts';

/**
 * The preflight check (`npm run check`, or `{"check": true}` to the HTTP trigger): every outside
 * thing a sync needs, tried once, read-only. Each line says what was tried, what was found and,
 * when it failed, what to change (which setting, which role). Nothing here writes: ThreatFox gets
 * one `malwareinfo` with limit 1 per family, ARM gets GETs and one queryIndicators page (a POST
 * that only reads).
 */

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

export interface CheckDeps {
  /** Settings as the app or CLI sees them (process.env). */
  env: NodeJS.ProcessEnv;
  /** Replaces DefaultAzureCredential (tests, or a caller that already holds one). */
  credential?: TokenCredential;
  /** Extra CA to trust for ARM (a test's self-signed fake). */
  tlsCa?: string;
  /** Replaces the ThreatFox client built from the settings. */
  threatfox?: (settings: Settings) => ThreatFoxSource;
  /** Per Azure call (default 30 s): a check must end by itself. */
  timeoutMs?: number;
  /** Replaces the Logs query client built from LOG_ANALYTICS_ENDPOINT. */
  logs?: LogsQueryRunner;
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

const KEY_FIX =
  'set THREATFOX_AUTH_KEY to your Auth-Key (free at https://auth.abuse.ch/); in Azure: Key Vault secret threatfox-auth-key (docs/deploy.md)';
const LOGIN_FIX =
  'sign in with `az login` (or `azd auth login`), or pick a credential with AZURE_TOKEN_CREDENTIALS (dev, AzureCliCredential, ManagedIdentityCredential); in Azure the app uses its managed identity (AZURE_CLIENT_ID)';
const ROLE_FIX = (who: string, t: SentinelTarget) =>
  `grant ${who} the ThreatFox Sentinel Sync role (the custom role azd up creates; upload path: Microsoft Sentinel Contributor) on workspace ${t.workspaceName} (resource group ${t.resourceGroup}); azd up does it unless ASSIGN_SENTINEL_ROLE=false (docs/deploy.md); a new role assignment takes up to 10 minutes to apply`;

/**
 * What a sync does to the workspace, as Azure RBAC names the operations: the writes of the app's
 * role (lib/sentinel/appRole.json, which infra/ builds the custom role from).
 */
export const WRITE_ACTIONS = APP_WRITE_ACTIONS;

/** Every check, in the order a report lists them. */
export const CHECK_IDS = Object.keys(TITLES) as CheckId[];

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
  let settings: Settings;
  try {
    settings = loadSettings(deps.env);
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
  const lines = [
    settingsLine(settings),
    ...(await checkThreatFox(settings, deps)),
    ...(await checkAzure(settings, deps)),
  ];
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

function line(id: CheckId, ok: boolean, detail: string, fix?: string): CheckLine {
  return { id, title: TITLES[id], ok, detail, ...(ok || !fix ? {} : { fix }) };
}

const notChecked = (l: CheckLine) => !l.ok && /^(\S+: )?not checked: /.test(l.detail);

function notReached(ids: CheckId[], because: string): CheckLine[] {
  return ids.map((id) => line(id, false, `not checked: ${because}`));
}

/** One malwareinfo (limit 1) per configured family: the first also proves the API is reachable and the key accepted. */
async function checkThreatFox(settings: Settings, deps: CheckDeps): Promise<CheckLine[]> {
  const tf = settings.threatfox;
  if (!tf.authKey)
    return [
      line('threatfox', false, 'THREATFOX_AUTH_KEY is not set', KEY_FIX),
      ...notReached(['families'], 'no Auth-Key'),
    ];
  let source: ThreatFoxSource;
  try {
    // One retry only: a check answers quickly, and says so when ThreatFox is slow.
    source =
      deps.threatfox?.(settings) ??
      new ThreatFoxClient({ apiUrl: tf.apiUrl, authKey: tf.authKey, timeoutMs: tf.timeoutMs, maxRetries: 1 });
  } catch (e) {
    return [line('threatfox', false, errorMessage(e), KEY_FIX), ...notReached(['families'], 'no usable Auth-Key')];
  }
  const host = hostOf(tf.apiUrl);
  const probe = await probeFamilies(source, tf.malware);
  if (probe.unreachable) {
    const e = probe.unreachable;
    const fix =
      isSyncError(e) && e.code === 'CONFIG'
        ? KEY_FIX
        : `allow outbound HTTPS to ${host} (README: Outbound hosts) and check THREATFOX_API_URL; if ThreatFox is down, try again later`;
    return [line('threatfox', false, errorMessage(e), fix), ...notReached(['families'], 'ThreatFox did not answer')];
  }
  return [line('threatfox', true, `${host} answered; Auth-Key accepted`), familiesLine(probe)];
}

interface FamilyProbe {
  known: string[];
  /** Known, with no IOCs at the moment. */
  empty: string[];
  unknown: string[];
  /** Families whose query failed after the first answered, with the reason. */
  failed: string[];
  /** The first query's error when ThreatFox did not answer it (unreachable, or the key refused). */
  unreachable?: unknown;
}

async function probeFamilies(source: ThreatFoxSource, families: string[]): Promise<FamilyProbe> {
  const probe: FamilyProbe = { known: [], empty: [], unknown: [], failed: [] };
  for (const [i, family] of families.entries()) {
    try {
      const got = await source.byMalware(family, 1);
      (got.records.length > 0 || got.rejected.length > 0 ? probe.known : probe.empty).push(family);
    } catch (e) {
      // ThreatFox answered the query (so the key was accepted) but does not know the family.
      if (isSettingError(e, 'THREATFOX_MALWARE')) probe.unknown.push(family);
      else if (i === 0) return { ...probe, unreachable: e };
      else probe.failed.push(`${family} (${errorMessage(e)})`);
    }
  }
  return probe;
}

function familiesLine({ known, empty, unknown, failed }: FamilyProbe): CheckLine {
  const knownText = [...known, ...empty.map((f) => `${f} (no IOCs at the moment)`)].join(', ');
  if (unknown.length === 0 && failed.length === 0) return line('families', true, `known to ThreatFox: ${knownText}`);
  if (unknown.length > 0)
    return line(
      'families',
      false,
      `not known to ThreatFox: ${unknown.join(', ')}${knownText ? `; known: ${knownText}` : ''}`,
      'THREATFOX_MALWARE takes ThreatFox malware ids such as win.netsupportmanager_rat (list: https://threatfox.abuse.ch/browse/); ThreatFox names the id it knows an alias by',
    );
  return line(
    'families',
    false,
    `not confirmed: ${failed.join('; ')}`,
    'ThreatFox stopped answering part-way: try again later',
  );
}

const WORKSPACE_CHECKS: CheckId[] = [
  'workspace',
  'indicators',
  'saved-searches',
  'write-access',
  'ti-table',
  'hunt-tables',
  'logs-query',
  'hunts',
  'ti-visibility',
];

async function checkAzure(settings: Settings, deps: CheckDeps): Promise<CheckLine[]> {
  const s = settings.sentinel;
  // No workspace named: the settings line says which settings; a login tried now would only add noise.
  if (!s.workspaces && missingWorkspaceSettings(s).length > 0)
    return notReached(['azure-login', ...WORKSPACE_CHECKS], 'no workspace configured (see Settings)');
  const login = await azureLogin(s.armEndpoint, deps);
  if ('failure' in login) return [login.failure, ...notReached(WORKSPACE_CHECKS, 'no Azure token')];
  const { credential, who } = login;
  const narrowed = deps.env.AZURE_TOKEN_CREDENTIALS;
  const loginLine = line(
    'azure-login',
    true,
    `token for ${s.armEndpoint} obtained${who ? ` as ${who}` : ''}${narrowed ? ` (AZURE_TOKEN_CREDENTIALS=${narrowed})` : ''}`,
  );
  const identity = who ?? 'the identity the app runs as';

  // SENTINEL_WORKSPACES: the same checks for every workspace, each line naming its workspace.
  if (s.workspaces) {
    const lines = [loginLine];
    for (const w of s.workspaces) {
      const label = `${w.resourceGroup}/${w.workspaceName}`;
      const checked = await checkWorkspace({ ...s, ...w }, { settings, deps, credential, identity, listed: true });
      lines.push(...checked.map((l) => ({ ...l, detail: `${label}: ${l.detail}` })));
    }
    return lines;
  }
  return [
    loginLine,
    ...(await checkWorkspace(s as SentinelTarget, { settings, deps, credential, identity, listed: false })),
  ];
}

/** A token for ARM with the configured credential, or the failed login line. */
async function azureLogin(
  armEndpoint: string,
  deps: CheckDeps,
): Promise<{ credential: TokenCredential; who?: string } | { failure: CheckLine }> {
  try {
    const credential = deps.credential ?? createCredential(deps.env);
    const token = (await credential.getToken(`${armEndpoint}/.default`, { abortSignal: timeout(deps) }))?.token ?? '';
    if (!token) throw new Error('the credential returned no token');
    return { credential, who: principalOf(token) };
  } catch (e) {
    const message = errorMessage(e);
    // DefaultAzureCredential refuses an AZURE_TOKEN_CREDENTIALS it does not know when it is built.
    if (/AZURE_TOKEN_CREDENTIALS/.test(message)) {
      const fix = 'set AZURE_TOKEN_CREDENTIALS to dev, prod or one credential name, or unset it';
      return { failure: line('azure-login', false, safeLine(message), fix) };
    }
    // One short line; the chain's every reason (a thousand characters) only in --json and at debug.
    const access = asAzureAccessError(e);
    const detail = access ? `no credential gave a token (${errorName(e)})` : safeLine(message);
    const debug = access?.detail ?? message;
    return { failure: { ...line('azure-login', false, detail, LOGIN_FIX), ...(debug !== detail ? { debug } : {}) } };
  }
}

const errorName = (e: unknown) => (e instanceof Error ? e.name : 'error');

const timeout = (deps: CheckDeps) => AbortSignal.timeout(deps.timeoutMs ?? 30_000);

interface WorkspaceCheck {
  target: SentinelTarget;
  clients: ArmClients;
  signal: () => AbortSignal;
  listed: boolean;
  /** An ARM failure as detail and fix, given the fix for a 404. */
  failure: (e: unknown, notFound: string) => { detail: string; fix: string };
  /** The fix for a 404 on the workspace itself. */
  notFoundFix: (e: unknown) => string;
  identity: string;
}

/** The workspace lines for one workspace: found, indicators readable, saved searches, write access, TI table. */
async function checkWorkspace(
  target: SentinelTarget,
  ctx: { settings: Settings; deps: CheckDeps; credential: TokenCredential; identity: string; listed: boolean },
): Promise<CheckLine[]> {
  const { deps, credential, identity, listed } = ctx;
  const check: WorkspaceCheck = {
    target,
    // A check wants the first answer, not ten retries: at most two, and no long backoff.
    clients: createArmClients(
      { ...target, maxRetries: Math.min(target.maxRetries, 2) },
      { credential, tlsCa: deps.tlsCa, maxRetryDelayInMs: 5_000 },
    ),
    signal: () => timeout(deps),
    listed,
    identity,
    failure: (e, notFound) => azureFailure(e, { notFound, roleFix: ROLE_FIX(identity, target) }),
    notFoundFix: (e) =>
      listed
        ? 'check this entry of SENTINEL_WORKSPACES (subscription, resource group and workspace name)'
        : settingNotFoundFix(e),
  };
  const found = await workspaceLine(check);
  if (found.stop) return [found.line, ...notReached(WORKSPACE_CHECKS.slice(1), found.stop)];
  const lines = [
    found.line,
    await indicatorsLine(check),
    await savedSearchesLine(check, found.line.ok),
    await writeAccessLine(check),
    await tiTableLine(check),
  ];
  const hunts = await huntLines({
    settings: ctx.settings,
    target,
    clients: check.clients,
    credential,
    workspaceId: found.customerId,
    identity,
    signal: check.signal,
    timeoutMs: deps.timeoutMs ?? 30_000,
    tlsCa: deps.tlsCa,
    logs: deps.logs,
  });
  return [
    ...lines,
    ...hunts.map((h) => ({ ...line(h.id, h.ok, h.detail, h.fix), ...(h.title ? { title: h.title } : {}) })),
  ];
}

/** The workspace line, and why to stop when the reads below would only repeat its failure. */
async function workspaceLine(c: WorkspaceCheck): Promise<{ line: CheckLine; stop?: string; customerId?: string }> {
  const { target } = c;
  const where = `${target.workspaceName} in resource group ${target.resourceGroup}, subscription ${target.subscriptionId}`;
  try {
    const ws = await c.clients.operationalInsights.workspaces.get(target.resourceGroup, target.workspaceName, {
      abortSignal: c.signal(),
    });
    return {
      line: line('workspace', true, `${where} found${ws.customerId ? ` (workspace id ${ws.customerId})` : ''}`),
      customerId: ws.customerId,
    };
  } catch (e) {
    const f = c.failure(e, c.notFoundFix(e));
    const failed = line('workspace', false, `${where}: ${f.detail}`, f.fix);
    // Not there (or not ours to see at all): the reads below would only repeat it. A 403 is
    // different: a custom role may allow the Sentinel reads without the workspace read, so go on.
    const status = restStatus(e)?.statusCode;
    if (status === 403) return { line: failed };
    return { line: failed, stop: status === 404 ? 'the workspace was not found' : 'the workspace could not be read' };
  }
}

async function indicatorsLine(c: WorkspaceCheck): Promise<CheckLine> {
  const { target } = c;
  try {
    const pages = c.clients.securityInsights.threatIntelligenceIndicator
      .listQueryIndicators(
        target.resourceGroup,
        target.workspaceName,
        { sources: [target.source], pageSize: 1 },
        { abortSignal: c.signal() },
      )
      .byPage();
    const first = await pages.next();
    await pages.return?.(undefined); // one page is the check: never follow the nextLink
    const any = !first.done && first.value.length > 0;
    return line(
      'indicators',
      true,
      `queryIndicators answered; indicators with source ${target.source}: ${any ? 'present' : 'none yet'}`,
    );
  } catch (e) {
    const f = c.failure(
      e,
      'enable Microsoft Sentinel on this workspace (the threat-intelligence API exists only there)',
    );
    return line('indicators', false, f.detail, f.fix);
  }
}

async function savedSearchesLine(c: WorkspaceCheck, workspaceFound: boolean): Promise<CheckLine> {
  try {
    const list = await c.clients.operationalInsights.savedSearches.listByWorkspace(
      c.target.resourceGroup,
      c.target.workspaceName,
      { abortSignal: c.signal() },
    );
    const all = list.value ?? [];
    const hunting = all.filter((x) => x.category === 'Hunting Queries').length;
    return line('saved-searches', true, `${all.length} saved searches, ${hunting} of them hunting queries`);
  } catch (e) {
    const notFound = !workspaceFound
      ? c.notFoundFix(e)
      : c.listed
        ? 'check this entry of SENTINEL_WORKSPACES'
        : 'check SENTINEL_WORKSPACE_NAME';
    const f = c.failure(e, notFound);
    return line('saved-searches', false, f.detail, f.fix);
  }
}

/** Writes cannot be tried without writing; what RBAC grants the caller on the workspace can be read. */
async function writeAccessLine(c: WorkspaceCheck): Promise<CheckLine> {
  try {
    const lacking = await missingActions(c.clients.operationalInsights, c.target, WRITE_ACTIONS, c.signal());
    if (lacking.length === 0)
      return line(
        'write-access',
        true,
        'role assignments allow creating, updating and deleting indicators and saved searches',
      );
    return line(
      'write-access',
      false,
      `the roles of ${c.identity} on the workspace do not allow ${lacking.join(', ')}`,
      ROLE_FIX(c.identity, c.target),
    );
  } catch (e) {
    const f = c.failure(e, c.notFoundFix(e));
    return line('write-access', false, `could not read the role's permissions: ${f.detail}`, f.fix);
  }
}

async function tiTableLine(c: WorkspaceCheck): Promise<CheckLine> {
  try {
    const table = await c.clients.operationalInsights.tables.get(
      c.target.resourceGroup,
      c.target.workspaceName,
      TI_TABLE,
      {
        abortSignal: c.signal(),
      },
    );
    const retention = table.totalRetentionInDays ?? table.retentionInDays;
    return line(
      'ti-table',
      true,
      `present${retention ? ` (retention ${retention} days)` : ''}; indicators written through the API reach it after an ingestion delay of minutes`,
    );
  } catch (e) {
    const f = c.failure(
      e,
      `enable Microsoft Sentinel on this workspace: ${TI_TABLE} (the STIX-based table the hunting queries and TI-map rules read) comes with it, and fills with indicators minutes after they are written`,
    );
    return line('ti-table', false, f.detail, f.fix);
  }
}

/** A 404 names the setting that is wrong: subscription, resource group or workspace. */
function settingNotFoundFix(e: unknown): string {
  const code = restStatus(e)?.code ?? '';
  if (/^(SubscriptionNotFound|InvalidSubscriptionId)$/i.test(code))
    return 'check AZURE_SUBSCRIPTION_ID (the subscription of the Sentinel workspace)';
  if (/^ResourceGroupNotFound$/i.test(code))
    return 'check SENTINEL_RESOURCE_GROUP (the resource group of the Sentinel workspace)';
  return 'check SENTINEL_WORKSPACE_NAME and SENTINEL_RESOURCE_GROUP (the Log Analytics workspace Microsoft Sentinel runs on)';
}

/** What an ARM failure means for the person fixing it. Status, ARM error code and one message line; never headers. */
function azureFailure(e: unknown, fixes: { notFound: string; roleFix: string }): { detail: string; fix: string } {
  const rest = restStatus(e);
  if (!rest) {
    const access = asAzureAccessError(e);
    if (access) return { detail: access.message.replace(/: sign in with .*$/, ''), fix: LOGIN_FIX };
    const timedOut = e instanceof Error && e.name === 'AbortError';
    return {
      detail: timedOut ? 'no answer in time' : safeLine(errorMessage(e)),
      fix: 'allow outbound HTTPS to the Azure Resource Manager endpoint (AZURE_RESOURCE_MANAGER_ENDPOINT; README: Outbound hosts)',
    };
  }
  const detail = [`HTTP ${rest.statusCode}`, rest.code, safeLine(rest.message)].filter(Boolean).join(' ');
  switch (rest.statusCode) {
    case 401:
      return { detail, fix: `${LOGIN_FIX}; check the identity belongs to the workspace's tenant` };
    case 403:
      return { detail, fix: fixes.roleFix };
    case 404:
      return { detail, fix: fixes.notFound };
    case 429:
      return { detail, fix: 'Azure Resource Manager is throttling this subscription: try again in a few minutes' };
    default:
      return {
        detail,
        fix:
          rest.statusCode >= 500
            ? 'Azure answered with a server error: try again later'
            : 'see the message; check SENTINEL_API_VERSION if it names the api-version',
      };
  }
}

/** Who the token was issued to, from its (unverified) claims, for the role fix; never the token itself. */
export function principalOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const text = (k: string) =>
      typeof claims[k] === 'string' && /^[\w.@-]{1,200}$/.test(claims[k]) ? claims[k] : undefined;
    const name = text('upn') ?? text('unique_name');
    const oid = text('oid');
    if (!name && !oid) return undefined;
    return [name, oid ? `object id ${oid}` : undefined].filter(Boolean).join(', ');
  } catch {
    return undefined;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
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
