import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';

/**
 * The credential the app writes to Azure with: `DefaultAzureCredential`, i.e. the Function App's
 * managed identity in Azure and a developer login (Azure CLI, azd, ...) on a workstation.
 *
 * `AZURE_TOKEN_CREDENTIALS` narrows the chain (`prod`, `dev`, or one credential name such as
 * `ManagedIdentityCredential`), and `AZURE_CLIENT_ID` selects a user-assigned identity.
 *
 * Pointing the CLI at a local fake needs no special code: with
 * `AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential`, `IDENTITY_ENDPOINT=http://127.0.0.1:<port>/msi/token`
 * and `IDENTITY_HEADER=<secret>` (the App Service / Azure Functions managed identity protocol),
 * the chain holds only ManagedIdentityCredential, which does not probe IMDS in that mode, and MSAL
 * GETs that endpoint with `X-IDENTITY-HEADER` and nothing else: no instance discovery, no other host.
 */
export function createCredential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  // DefaultAzureCredential reads process.env itself; pass the ids we can so an injected env is honoured too.
  const managedIdentityClientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  return new DefaultAzureCredential(managedIdentityClientId ? { managedIdentityClientId } : {});
}
