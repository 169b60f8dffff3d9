import type { TokenCredential } from '@azure/identity';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { timeoutHttpClient } from '../net/requestTimeoutPolicy';

/** Per attempt of a token request (managed identity endpoint, Entra ID); they are quick when they work. */
export const TOKEN_TIMEOUT_MS = 20_000;

/**
 * The credential the app writes to Azure with: `DefaultAzureCredential`, i.e. the Function App's
 * managed identity in Azure and a developer login (Azure CLI, azd, ...) on a workstation.
 *
 * `AZURE_TOKEN_CREDENTIALS` narrows the chain (`prod`, `dev`, or one credential name such as
 * `ManagedIdentityCredential`), and `AZURE_CLIENT_ID` selects a user-assigned identity.
 * Narrowed to `ManagedIdentityCredential`, that credential is built directly (what the chain would
 * hold), because the chain drops our options in that mode. Every token request has a timeout.
 *
 * Pointing the CLI at a local fake needs no special code: with
 * `AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential`, `IDENTITY_ENDPOINT=http://127.0.0.1:<port>/msi/token`
 * and `IDENTITY_HEADER=<secret>` (the App Service / Azure Functions managed identity protocol),
 * the chain holds only ManagedIdentityCredential, which does not probe IMDS in that mode, and MSAL
 * GETs that endpoint with `X-IDENTITY-HEADER` and nothing else: no instance discovery, no other host.
 */
export function createCredential(env: NodeJS.ProcessEnv, timeoutMs: number = TOKEN_TIMEOUT_MS): TokenCredential {
  // DefaultAzureCredential reads process.env itself; pass the ids we can so an injected env is honoured too.
  const managedIdentityClientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  // Bound each token request as ARM's are; through the HTTP client, as the managed-identity
  // credential replaces `additionalPolicies` with its own.
  const httpClient = timeoutHttpClient(timeoutMs);
  // Narrowed to managed identity, DefaultAzureCredential builds that credential without our options
  // (@azure/identity 4.13), so build the same credential here with them.
  if (env.AZURE_TOKEN_CREDENTIALS?.trim().toLowerCase() === 'managedidentitycredential') {
    return new ManagedIdentityCredential({
      httpClient,
      ...(managedIdentityClientId ? { clientId: managedIdentityClientId } : {}),
    });
  }
  return new DefaultAzureCredential({ httpClient, ...(managedIdentityClientId ? { managedIdentityClientId } : {}) });
}
