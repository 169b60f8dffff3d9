import { missingWorkspaceSettings, type SentinelTarget } from '../config';
import { asAzureAccessError, errorLine, errorMessage } from '../errors';
import { huntLines } from './checkHunts';
import { azureFailure, LOGIN_FIX, ROLE_FIX, settingNotFoundFix } from './checkFixes';
import { line, notReached, type CheckId, type CheckLine, type CheckRun } from './checkReport';
import {
  indicatorsLine,
  savedSearchesLine,
  tiTableLine,
  workspaceLine,
  writeAccessLine,
  type WorkspaceCheck,
} from './checkWorkspace';

/** The Azure checks: one login, then the workspace lines and the hunts' lines for every workspace. */

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

export async function checkAzure(run: CheckRun): Promise<CheckLine[]> {
  const settings = run.services.settings;
  const s = settings.sentinel;
  // No workspace named: the settings line says which settings; a login tried now would only add noise.
  if (!s.workspaces && missingWorkspaceSettings(s).length > 0)
    return notReached(['azure-login', ...WORKSPACE_CHECKS], 'no workspace configured (see Settings)');
  const login = await azureLogin(s.armEndpoint, run);
  if ('failure' in login) return [login.failure, ...notReached(WORKSPACE_CHECKS, 'no Azure token')];
  const { who } = login;
  const narrowed = run.env.AZURE_TOKEN_CREDENTIALS;
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
      const checked = await checkWorkspace({ ...s, ...w }, { run, identity, listed: true });
      lines.push(...checked.map((l) => ({ ...l, detail: `${label}: ${l.detail}` })));
    }
    return lines;
  }
  return [loginLine, ...(await checkWorkspace(s as SentinelTarget, { run, identity, listed: false }))];
}

/** A token for ARM with the configured credential, or the failed login line. */
async function azureLogin(armEndpoint: string, run: CheckRun): Promise<{ who?: string } | { failure: CheckLine }> {
  try {
    const credential = run.services.credential();
    const token = (await credential.getToken(`${armEndpoint}/.default`, { abortSignal: timeout(run) }))?.token ?? '';
    if (!token) throw new Error('the credential returned no token');
    return { who: principalOf(token) };
  } catch (e) {
    const message = errorMessage(e);
    // DefaultAzureCredential refuses an AZURE_TOKEN_CREDENTIALS it does not know when it is built.
    if (/AZURE_TOKEN_CREDENTIALS/.test(message)) {
      const fix = 'set AZURE_TOKEN_CREDENTIALS to dev, prod or one credential name, or unset it';
      return { failure: line('azure-login', false, errorLine(message), fix) };
    }
    // One short line; the chain's every reason (a thousand characters) only in --json and at debug.
    const access = asAzureAccessError(e);
    const detail = access ? `no credential gave a token (${errorName(e)})` : errorLine(message);
    const debug = access?.detail ?? message;
    return { failure: { ...line('azure-login', false, detail, LOGIN_FIX), ...(debug !== detail ? { debug } : {}) } };
  }
}

const errorName = (e: unknown) => (e instanceof Error ? e.name : 'error');

const timeout = (run: CheckRun) => AbortSignal.timeout(run.timeoutMs);

/** The workspace lines for one workspace: found, indicators readable, saved searches, write access, TI table. */
async function checkWorkspace(
  target: SentinelTarget,
  ctx: { run: CheckRun; identity: string; listed: boolean },
): Promise<CheckLine[]> {
  const { run, identity, listed } = ctx;
  const check: WorkspaceCheck = {
    target,
    // A check wants the first answer, not ten retries: at most two, and no long backoff.
    clients: run.services.armClients(
      { ...target, maxRetries: Math.min(target.maxRetries, 2) },
      { maxRetryDelayInMs: 5_000 },
    ),
    signal: () => timeout(run),
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
    settings: run.services.settings,
    target,
    clients: check.clients,
    workspaceId: found.customerId,
    identity,
    signal: check.signal,
    logs: () => run.services.logsQuery(run.timeoutMs),
  });
  return [
    ...lines,
    ...hunts.map((h) => ({ ...line(h.id, h.ok, h.detail, h.fix), ...(h.title ? { title: h.title } : {}) })),
  ];
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
