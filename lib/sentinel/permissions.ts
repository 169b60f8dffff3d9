import {
  createPipelineRequest,
  RestError,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { SentinelTarget } from '../config';
import appRole from './appRole.json';

/**
 * What Azure RBAC lets the caller do on the Sentinel workspace, read from ARM's permissions list
 * (`GET …/workspaces/{ws}/providers/Microsoft.Authorization/permissions`): the actions and
 * notActions of each of the caller's role assignments there. Lets a check say whether writes are
 * allowed without writing anything. Deny assignments are not in that list.
 */

const PermissionsPage = z.object({
  value: z.array(z.object({ actions: z.array(z.string()).default([]), notActions: z.array(z.string()).default([]) })),
  nextLink: z.string().nullish(),
});

/**
 * The one list of what the app calls on a Sentinel workspace, as Azure RBAC names the operations
 * (learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftsecurityinsights
 * and …/permissions/monitor#microsoftoperationalinsights). infra/modules/sentinelAccess.bicep builds
 * the app's custom role from the same file (loadJsonContent), so the role and the check cannot drift.
 */
const AppRole = z.object({
  roleName: z.string().min(1),
  description: z.string().min(1),
  /** What a sync changes: create, update and delete (duplicate) indicators; put and delete (stale) saved searches. */
  writes: z.array(z.string().min(1)).min(1),
  /** What a sync and the check read: the indicators' query and metrics, the workspace, its tables, saved searches and logs. */
  reads: z.array(z.string().min(1)).min(1),
});

export const APP_ROLE = AppRole.parse(appRole);
/** The writes `npm run check` asks the permissions list about (reads are proven by reading). */
export const APP_WRITE_ACTIONS: readonly string[] = APP_ROLE.writes;
/** Every action the custom role grants, writes first. */
export const APP_ROLE_ACTIONS: readonly string[] = [...APP_ROLE.writes, ...APP_ROLE.reads];

export const PERMISSIONS_API_VERSION = '2022-04-01';
/** A caller has a few assignments; a list that keeps paging past this is not one to trust. */
const MAX_PAGES = 20;

/** An RBAC action pattern (`*` is any run of characters, case ignored) as a test. */
export function actionMatcher(pattern: string): (action: string) => boolean {
  const rx = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return (action) => rx.test(action);
}

/**
 * The `actions` the caller's role assignments on the workspace do not grant: an action is granted
 * when one assignment's actions match it and that same assignment's notActions do not. The call goes
 * through `client`'s pipeline (an ARM SDK client: same credential, scope, retries and TLS as the
 * others); a non-200 answer throws a RestError like the SDK calls do.
 */
export async function missingActions(
  client: { sendRequest(request: PipelineRequest): Promise<PipelineResponse> },
  target: Pick<SentinelTarget, 'armEndpoint' | 'subscriptionId' | 'resourceGroup' | 'workspaceName'>,
  actions: readonly string[],
  abortSignal?: AbortSignal,
): Promise<string[]> {
  const endpoint = target.armEndpoint.replace(/\/+$/, '');
  const scope = `/subscriptions/${encodeURIComponent(target.subscriptionId)}/resourceGroups/${encodeURIComponent(target.resourceGroup)}/providers/Microsoft.OperationalInsights/workspaces/${encodeURIComponent(target.workspaceName)}`;
  let url: string | undefined =
    `${endpoint}${scope}/providers/Microsoft.Authorization/permissions?api-version=${PERMISSIONS_API_VERSION}`;
  const grants: Array<{ actions: string[]; notActions: string[] }> = [];
  for (let page = 0; url; page += 1) {
    if (page >= MAX_PAGES) throw new Error(`the permissions list still had more after ${MAX_PAGES} pages`);
    const res = await client.sendRequest(createPipelineRequest({ url, method: 'GET', abortSignal }));
    const text = res.bodyAsText ?? '';
    if (res.status !== 200) {
      let error: { code?: string; message?: string } = {};
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
      } catch {
        // not JSON: the status says enough
      }
      throw new RestError(error.message ?? `HTTP ${res.status}`, { code: error.code, statusCode: res.status });
    }
    const parsed = PermissionsPage.parse(JSON.parse(text));
    grants.push(...parsed.value);
    // Follow a nextLink only back to the same ARM endpoint: the pipeline would send it the token.
    url = parsed.nextLink && parsed.nextLink.startsWith(`${endpoint}/`) ? parsed.nextLink : undefined;
  }
  const allowed = grants.map((g) => ({ yes: g.actions.map(actionMatcher), no: g.notActions.map(actionMatcher) }));
  return actions.filter((action) => !allowed.some((g) => g.yes.some((m) => m(action)) && !g.no.some((m) => m(action))));
}
