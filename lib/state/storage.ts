import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { ContainerClient } from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import { configError } from '../errors';
import { BATCH_CONTAINER, IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE, STORAGE_CONNECTION } from '../queue/constants';

/**
 * The storage account the Functions host uses, read the way the host reads it, so our own clients
 * talk to the same account as the queue trigger and output binding:
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
export function readStorageSettings(env: NodeJS.ProcessEnv = process.env, connection: string = STORAGE_CONNECTION): StorageSettings {
  const connectionString = env[connection]?.trim();
  if (connectionString) return { kind: 'connectionString', connectionString };

  const setting = (suffix: string) => `${connection}__${suffix}`;
  const accountName = env[setting('accountName')]?.trim();
  if (accountName && !ACCOUNT_NAME.test(accountName)) {
    throw configError(`${setting('accountName')} must be a storage account name (3-24 lower-case letters and digits, got "${accountName}")`);
  }
  const fromAccount = (service: 'blob' | 'queue' | 'table') =>
    accountName ? `https://${accountName}.${service}.core.windows.net` : undefined;

  const blob = serviceUri(env, setting('blobServiceUri')) ?? serviceUri(env, setting('serviceUri')) ?? fromAccount('blob');
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
    throw configError(`Identity-based ${connection} needs ${setting('accountName')} or all of the service URIs (missing ${missing.join(', ')})`);
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
      .map(([k, ...v]) => [k.trim().toLowerCase(), v.join('=').trim()] as const),
  );
  return parts.get('defaultendpointsprotocol')?.toLowerCase() === 'http' || /^http:\/\//i.test(parts.get('tableendpoint') ?? '');
}

function needCredential(credential: TokenCredential | undefined): TokenCredential {
  if (!credential) throw configError('An identity-based storage connection needs a TokenCredential (managed identity)');
  return credential;
}

export function createTableClient(settings: StorageSettings, tableName: string, credential?: TokenCredential): TableClient {
  if (settings.kind === 'connectionString') {
    return TableClient.fromConnectionString(settings.connectionString, tableName, {
      allowInsecureConnection: usesHttp(settings.connectionString),
    });
  }
  return new TableClient(settings.tableServiceUri, tableName, needCredential(credential));
}

export function createQueueClient(settings: StorageSettings, queueName: string, credential?: TokenCredential): QueueClient {
  if (settings.kind === 'connectionString') return new QueueClient(settings.connectionString, queueName);
  return new QueueClient(`${settings.queueServiceUri}/${encodeURIComponent(queueName)}`, needCredential(credential));
}

export function createContainerClient(settings: StorageSettings, containerName: string, credential?: TokenCredential): ContainerClient {
  if (settings.kind === 'connectionString') return new ContainerClient(settings.connectionString, containerName);
  return new ContainerClient(`${settings.blobServiceUri}/${encodeURIComponent(containerName)}`, needCredential(credential));
}

/** Every storage client the app uses, on the names of lib/queue/constants. */
export interface AppStorage {
  stateTable: TableClient;
  iocQueue: QueueClient;
  poisonQueue: QueueClient;
  batchContainer: ContainerClient;
}

export function createAppStorage(settings: StorageSettings, credential?: TokenCredential): AppStorage {
  return {
    stateTable: createTableClient(settings, STATE_TABLE, credential),
    iocQueue: createQueueClient(settings, IOC_QUEUE, credential),
    poisonQueue: createQueueClient(settings, IOC_POISON_QUEUE, credential),
    batchContainer: createContainerClient(settings, BATCH_CONTAINER, credential),
  };
}

/**
 * The app's storage clients straight from the app settings. An identity-based connection without an
 * injected credential authenticates as the app's managed identity (`__clientId` when user-assigned,
 * a developer login locally); the credential is only built on that branch, so a connection string
 * never makes anything probe for tokens.
 */
export function storageClients(env: NodeJS.ProcessEnv = process.env, credential?: TokenCredential): AppStorage {
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
