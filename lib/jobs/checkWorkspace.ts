import type { SentinelTarget } from '../config';
import { restStatus } from '../errors';
import type { ArmClients } from '../sentinel/armClients';
import { APP_WRITE_ACTIONS, missingActions } from '../sentinel/permissions';
import { ROLE_FIX } from './checkFixes';
import { line, TI_TABLE, type CheckLine } from './checkReport';

/** The read-only ARM checks of one workspace, one line each. */

export interface WorkspaceCheck {
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

/** The workspace line, and why to stop when the reads below would only repeat its failure. */
export async function workspaceLine(
  c: WorkspaceCheck,
): Promise<{ line: CheckLine; stop?: string; customerId?: string }> {
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

export async function indicatorsLine(c: WorkspaceCheck): Promise<CheckLine> {
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

export async function savedSearchesLine(c: WorkspaceCheck, workspaceFound: boolean): Promise<CheckLine> {
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
export async function writeAccessLine(c: WorkspaceCheck): Promise<CheckLine> {
  try {
    const lacking = await missingActions(c.clients.operationalInsights, c.target, APP_WRITE_ACTIONS, c.signal());
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

export async function tiTableLine(c: WorkspaceCheck): Promise<CheckLine> {
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
