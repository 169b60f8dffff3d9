import {
  createPipelineRequest,
  RestError,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { SentinelTarget } from '../config';

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
