import type { TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { ContainerClient } from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import type { StorageRetryOptions } from '@azure/storage-queue';
import type { Pipeline } from '@azure/core-rest-pipeline';
import { configError } from '../errors';
import { requestTimeoutPolicy } from '../net/requestTimeoutPolicy';
import { BATCH_CONTAINER, IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE, STORAGE_CONNECTION } from '../names';

/**
 * The storage account the Functions host uses, read the way the host reads it, so our own clients
 * talk to the same account as the queue trigger:
 * - `AzureWebJobsStorage` = a connection string (account key, SAS, or `UseDevelopmentStorage=true`);
 * - or identity-based: `AzureWebJobsStorage__accountName`, optionally overridden per service by
 *   `__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` (needed outside the public cloud),
 *   with `__clientId` naming a user-assigned identity. The credential itself is built by the caller.
 */
export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      queueServiceUri: string;
      tableServiceUri: string;
      /** `__clientId`: the user-assigned managed identity to authenticate as, if any. */
      clientId?: string;
    };

const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function serviceUri(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${name} must be a URL such as https://myaccount.queue.core.windows.net (got "${raw}")`);
  }
  // Bearer tokens are only ever sent over TLS; the SDK pipeline refuses plain http anyway.
  if (url.protocol !== 'https:') throw configError(`${name} must be an https URL (got "${raw}")`);
  return raw.replace(/\/+$/, '');
}

/** Reads the connection setting `connection` (default `AzureWebJobsStorage`); throws SyncError('CONFIG') when absent or malformed. */
export function readStorageSettings(env: NodeJS.ProcessEnv, connection: string = STORAGE_CONNECTION): StorageSettings {
  const connectionString = env[connection]?.trim();
  if (connectionString) return { kind: 'connectionString', connectionString };

  const setting = (suffix: string) => `${connection}__${suffix}`;
  const accountName = env[setting('accountName')]?.trim();
  if (accountName && !ACCOUNT_NAME.test(accountName)) {
    throw configError(
      `${setting('accountName')} must be a storage account name (3-24 lower-case letters and digits, got "${accountName}")`,
    );
  }
  const fromAccount = (service: 'blob' | 'queue' | 'table') =>
    accountName ? `https://${accountName}.${service}.core.windows.net` : undefined;

  const blob =
    serviceUri(env, setting('blobServiceUri')) ?? serviceUri(env, setting('serviceUri')) ?? fromAccount('blob');
  const queue = serviceUri(env, setting('queueServiceUri')) ?? fromAccount('queue');
  const table = serviceUri(env, setting('tableServiceUri')) ?? fromAccount('table');
  if (!blob && !queue && !table) {
    throw configError(
      `${connection} is not set: give a connection string (UseDevelopmentStorage=true locally) or ${setting('accountName')} for an identity-based connection`,
    );
  }
  const missing = [
    [setting('blobServiceUri'), blob],
    [setting('queueServiceUri'), queue],
    [setting('tableServiceUri'), table],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw configError(
      `Identity-based ${connection} needs ${setting('accountName')} or all of the service URIs (missing ${missing.join(', ')})`,
    );
  }
  const clientId = env[setting('clientId')]?.trim() || undefined;
  return { kind: 'identity', blobServiceUri: blob!, queueServiceUri: queue!, tableServiceUri: table!, clientId };
}

/** Azurite and other local emulators speak plain http; the Tables SDK refuses that unless told. */
function usesHttp(connectionString: string): boolean {
  const parts = new Map(
    connectionString
      .split(';')
      .map((p) => p.split('='))
      .map(([k = '', ...v]) => [k.trim().toLowerCase(), v.join('=').trim()] as const),
  );
  return (
    parts.get('defaultendpointsprotocol')?.toLowerCase() === 'http' ||
    /^http:\/\//i.test(parts.get('tableendpoint') ?? '')
  );
}

/** Per attempt of a storage request; state and queue calls are small, so this is generous. */
export const STORAGE_TIMEOUT_MS = 30_000;

/** Few, short retries: with the timeout per attempt, a storage call ends within about two minutes. */
const BLOB_QUEUE_RETRIES: StorageRetryOptions = { maxTries: 3, retryDelayInMs: 1_000, maxRetryDelayInMs: 8_000 };
const TABLE_RETRIES = { maxRetries: 2, retryDelayInMs: 1_000, maxRetryDelayInMs: 8_000 };

/**
 * Bounds every request of a blob or queue client: each attempt gets `timeoutMs` from sending to
 * the last byte, then the storage retry policy retries it (it treats ETIMEDOUT as a network fault).
 * The SDKs' `tryTimeoutInMs` is only a hint to the server, and `additionalPolicies` in their options
 * is added twice (by core-client and by the storage pipeline) and refused; so the policy goes into
 * the client's own core-client pipeline, after its retry phase. Clients made from this one
 * (getBlockBlobClient) share that pipeline. test/state/storage.timeouts.test.ts proves it works.
 */
function bounded<T extends QueueClient | ContainerClient>(client: T, timeoutMs: number): T {
  const context = (client as unknown as { storageClientContext?: { pipeline?: Pipeline } }).storageClientContext;
  if (!context?.pipeline) throw new Error('storage client without a core pipeline: cannot give its requests a timeout');
  context.pipeline.addPolicy(requestTimeoutPolicy(timeoutMs), { afterPhase: 'Retry' });
  return client;
}

function needCredential(credential: TokenCredential | undefined): TokenCredential {
  if (!credential) throw configError('An identity-based storage connection needs a TokenCredential (managed identity)');
  return credential;
}

export function createTableClient(
  settings: StorageSettings,
  tableName: string,
  credential?: TokenCredential,
  timeoutMs: number = STORAGE_TIMEOUT_MS,
): TableClient {
  const options = {
    additionalPolicies: [{ policy: requestTimeoutPolicy(timeoutMs), position: 'perRetry' as const }],
    retryOptions: TABLE_RETRIES,
  };
  if (settings.kind === 'connectionString') {
    return TableClient.fromConnectionString(settings.connectionString, tableName, {
      ...options,
      allowInsecureConnection: usesHttp(settings.connectionString),
    });
  }
  return new TableClient(settings.tableServiceUri, tableName, needCredential(credential), options);
}

/** QueueClient and ContainerClient: built from a connection string and a name, or from a URL and a credential. */
interface BlobOrQueueClient<T> {
  new (connectionString: string, name: string, options: { retryOptions: StorageRetryOptions }): T;
  new (url: string, credential: TokenCredential, options: { retryOptions: StorageRetryOptions }): T;
}

/** A queue or container client on `name`, its requests bounded by `timeoutMs`. */
function blobOrQueueClient<T extends QueueClient | ContainerClient>(
  Client: BlobOrQueueClient<T>,
  serviceUri: 'blobServiceUri' | 'queueServiceUri',
  name: string,
  { settings, credential, timeoutMs }: { settings: StorageSettings; credential?: TokenCredential; timeoutMs: number },
): T {
  const options = { retryOptions: BLOB_QUEUE_RETRIES };
  const client =
    settings.kind === 'connectionString'
      ? new Client(settings.connectionString, name, options)
      : new Client(`${settings[serviceUri]}/${encodeURIComponent(name)}`, needCredential(credential), options);
  return bounded(client, timeoutMs);
}

/** Every storage client the app uses, on the names of lib/names. */
export interface AppStorage {
  stateTable: TableClient;
  iocQueue: QueueClient;
  poisonQueue: QueueClient;
  batchContainer: ContainerClient;
}

export function createAppStorage(
  settings: StorageSettings,
  credential?: TokenCredential,
  timeoutMs: number = STORAGE_TIMEOUT_MS,
): AppStorage {
  const account = { settings, credential, timeoutMs };
  return {
    stateTable: createTableClient(settings, STATE_TABLE, credential, timeoutMs),
    iocQueue: blobOrQueueClient(QueueClient, 'queueServiceUri', IOC_QUEUE, account),
    poisonQueue: blobOrQueueClient(QueueClient, 'queueServiceUri', IOC_POISON_QUEUE, account),
    batchContainer: blobOrQueueClient(ContainerClient, 'blobServiceUri', BATCH_CONTAINER, account),
  };
}

/**
 * The app's storage clients straight from the app settings. An identity-based connection without an
 * injected credential authenticates as the app's managed identity (`__clientId` when user-assigned,
 * a developer login locally); the credential is only built on that branch, so a connection string
 * never makes anything probe for tokens.
 */
export function storageClients(env: NodeJS.ProcessEnv, credential?: TokenCredential): AppStorage {
  const settings = readStorageSettings(env);
  if (settings.kind === 'identity' && !credential) {
    credential = new DefaultAzureCredential(settings.clientId ? { managedIdentityClientId: settings.clientId } : {});
  }
  return createAppStorage(settings, credential);
}

/**
 * Creates the table, queues and container if missing. The host creates the queues it binds to on
 * first use, but a state read or claim-check write can come first (and locally, Azurite starts empty).
 */
export async function ensureAppStorage(storage: AppStorage): Promise<void> {
  await Promise.all([
    storage.stateTable.createTable(), // idempotent: a 409 TableAlreadyExists is swallowed by the SDK
    storage.iocQueue.createIfNotExists(),
    storage.poisonQueue.createIfNotExists(),
    storage.batchContainer.createIfNotExists(),
  ]);
}
