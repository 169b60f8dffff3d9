import { z } from 'zod';

/**
 * The Sentinel workspaces one deployment writes to: `SENTINEL_WORKSPACES` (a comma-separated list of
 * workspace resource ids) or the single-workspace settings, which make a list of one. A foundation
 * module: settings validation (lib/config.ts) parses the list with it.
 */

export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Azure's own rules: resource group 1-90 of letters, digits, `._-()` not ending in `.`; workspace 4-63 of letters, digits, `-`. */
const RESOURCE_GROUP = /^[\w.()-]{0,89}[\w()-]$/;
const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;
const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/?$/i;

export const workspaceIdSchema = z
  .string()
  .trim()
  .transform((text, ctx): WorkspaceRef => {
    const [, subscription, resourceGroup, workspaceName] = RESOURCE_ID.exec(text) ?? [];
    const refuse = (problem: string) => {
      ctx.addIssue({ code: 'custom', message: `"${text.slice(0, 300)}" ${problem}` });
      return z.NEVER;
    };
    if (subscription === undefined || resourceGroup === undefined || workspaceName === undefined)
      return refuse(
        'is not a workspace resource id (/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name})',
      );
    if (!GUID.test(subscription)) return refuse(`has a subscription that is not a GUID ("${subscription}")`);
    if (!RESOURCE_GROUP.test(resourceGroup)) return refuse(`has an invalid resource group name ("${resourceGroup}")`);
    if (!WORKSPACE_NAME.test(workspaceName))
      return refuse(`has an invalid workspace name ("${workspaceName}": 4-63 letters, digits or hyphens)`);
    return { subscriptionId: subscription.toLowerCase(), resourceGroup, workspaceName };
  });

/** Parses `SENTINEL_WORKSPACES`; returns the list, or the problems (each naming the bad entry). */
export function parseWorkspaceList(
  text: string,
): { ok: true; workspaces: WorkspaceRef[] } | { ok: false; problems: string[] } {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) return { ok: false, problems: ['is empty'] };
  const problems: string[] = [];
  const workspaces: WorkspaceRef[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const parsed = workspaceIdSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => i.message));
      continue;
    }
    const key = workspaceKey(parsed.data);
    if (seen.has(key)) {
      problems.push(`"${entry}" is listed twice`);
      continue;
    }
    seen.add(key);
    workspaces.push(parsed.data);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, workspaces };
}

/** ARM ids are case-insensitive: one key per workspace however it is spelled. */
export function workspaceKey(w: WorkspaceRef): string {
  return workspaceResourceId(w).toLowerCase();
}

export function workspaceResourceId(w: WorkspaceRef): string {
  return `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${w.workspaceName}`;
}

/** Short and unique enough for log lines and summaries: `rg/name`. */
export function workspaceLabel(w: WorkspaceRef): string {
  return `${w.resourceGroup}/${w.workspaceName}`;
}
