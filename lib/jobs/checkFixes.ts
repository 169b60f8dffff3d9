import type { SentinelTarget } from '../config';
import { asAzureAccessError, errorLine, errorMessage, restStatus } from '../errors';

/** What to change when a check fails: the fix texts, and what an ARM failure means for the person fixing it. */

export const KEY_FIX =
  'set THREATFOX_AUTH_KEY to your Auth-Key (free at https://auth.abuse.ch/); in Azure: Key Vault secret threatfox-auth-key (docs/deploy.md)';
export const LOGIN_FIX =
  'sign in with `az login` (or `azd auth login`), or pick a credential with AZURE_TOKEN_CREDENTIALS (dev, AzureCliCredential, ManagedIdentityCredential); in Azure the app uses its managed identity (AZURE_CLIENT_ID)';
export const ROLE_FIX = (who: string, t: SentinelTarget) =>
  `grant ${who} the ThreatFox Sentinel Sync role (the custom role azd up creates; upload path: Microsoft Sentinel Contributor) on workspace ${t.workspaceName} (resource group ${t.resourceGroup}); azd up does it unless ASSIGN_SENTINEL_ROLE=false (docs/deploy.md); a new role assignment takes up to 10 minutes to apply`;

/**
 * What a sync does to the workspace, as Azure RBAC names the operations: the writes of the app's
 * role (lib/sentinel/appRole.json, which infra/ builds the custom role from).
 */
/** A 404 names the setting that is wrong: subscription, resource group or workspace. */
export function settingNotFoundFix(e: unknown): string {
  const code = restStatus(e)?.code ?? '';
  if (/^(SubscriptionNotFound|InvalidSubscriptionId)$/i.test(code))
    return 'check AZURE_SUBSCRIPTION_ID (the subscription of the Sentinel workspace)';
  if (/^ResourceGroupNotFound$/i.test(code))
    return 'check SENTINEL_RESOURCE_GROUP (the resource group of the Sentinel workspace)';
  return 'check SENTINEL_WORKSPACE_NAME and SENTINEL_RESOURCE_GROUP (the Log Analytics workspace Microsoft Sentinel runs on)';
}

/** What an ARM failure means for the person fixing it. Status, ARM error code and one message line; never headers. */
export function azureFailure(
  e: unknown,
  fixes: { notFound: string; roleFix: string },
): { detail: string; fix: string } {
  const rest = restStatus(e);
  if (!rest) {
    const access = asAzureAccessError(e);
    if (access) return { detail: access.message.replace(/: sign in with .*$/, ''), fix: LOGIN_FIX };
    const timedOut = e instanceof Error && e.name === 'AbortError';
    return {
      detail: timedOut ? 'no answer in time' : errorLine(errorMessage(e)),
      fix: 'allow outbound HTTPS to the Azure Resource Manager endpoint (AZURE_RESOURCE_MANAGER_ENDPOINT; README: Outbound hosts)',
    };
  }
  const detail = errorLine(e);
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
