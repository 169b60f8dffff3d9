import type { AccessToken, TokenCredential } from '@azure/identity';
import { syncErrorMessage } from '../support/errors';
import { BATCH_CONTAINER, IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE } from '../../lib/names';
import {
  createAppStorage,
  createTableClient,
  ensureAppStorage,
  readStorageSettings,
  storageClients,
} from '../../lib/state/storage';
import { useAzurite } from '../support/azurite';

/** Counts token requests: proves construction alone never asks for a token. */
class CountingCredential implements TokenCredential {
  calls = 0;
  async getToken(): Promise<AccessToken> {
    this.calls++;
    return { token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

const configErrorOf = (fn: () => unknown): string => syncErrorMessage('CONFIG', fn);

describe('readStorageSettings', () => {
  it('takes a connection string as is, including the development shortcut', () => {
    expect(readStorageSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('derives the three service URLs from __accountName', () => {
    expect(
      readStorageSettings({ AzureWebJobsStorage__accountName: 'tfsyncstore', AzureWebJobsStorage__clientId: 'abc' }),
    ).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://tfsyncstore.blob.core.windows.net',
      queueServiceUri: 'https://tfsyncstore.queue.core.windows.net',
      tableServiceUri: 'https://tfsyncstore.table.core.windows.net',
      clientId: 'abc',
    });
  });

  it('lets explicit service URIs (sovereign clouds) override the account name', () => {
    const s = readStorageSettings({
      AzureWebJobsStorage__accountName: 'tfsyncstore',
      AzureWebJobsStorage__queueServiceUri: 'https://tfsyncstore.queue.core.usgovcloudapi.net/',
    });
    expect(s).toMatchObject({
      kind: 'identity',
      queueServiceUri: 'https://tfsyncstore.queue.core.usgovcloudapi.net',
      tableServiceUri: 'https://tfsyncstore.table.core.windows.net',
    });
  });

  it('reads another connection name when asked', () => {
    expect(readStorageSettings({ StateStore__accountName: 'other1' }, 'StateStore')).toMatchObject({
      tableServiceUri: 'https://other1.table.core.windows.net',
    });
  });

  it('explains what is missing or malformed', () => {
    expect(configErrorOf(() => readStorageSettings({}))).toMatch(
      /AzureWebJobsStorage is not set.*AzureWebJobsStorage__accountName/,
    );
    expect(configErrorOf(() => readStorageSettings({ AzureWebJobsStorage__accountName: 'Bad_Name' }))).toMatch(
      /storage account name/,
    );
    expect(
      configErrorOf(() =>
        readStorageSettings({ AzureWebJobsStorage__queueServiceUri: 'https://a.queue.core.windows.net' }),
      ),
    ).toMatch(/missing AzureWebJobsStorage__blobServiceUri, AzureWebJobsStorage__tableServiceUri/);
    expect(
      configErrorOf(() =>
        readStorageSettings({
          AzureWebJobsStorage__accountName: 'abc',
          AzureWebJobsStorage__tableServiceUri: 'http://x',
        }),
      ),
    ).toMatch(/must be an https URL/);
  });
});

describe('clients for an identity-based connection (no network)', () => {
  const settings = readStorageSettings({
    AzureWebJobsStorage__accountName: 'tfsyncstore',
    AzureWebJobsStorage__blobServiceUri: 'https://blobs.example.test',
  });

  it('point at the right URLs, without asking for a token', () => {
    const credential = new CountingCredential();
    const storage = createAppStorage(settings, credential);
    expect(storage.stateTable.url).toBe('https://tfsyncstore.table.core.windows.net');
    expect(storage.stateTable.tableName).toBe(STATE_TABLE);
    expect(storage.iocQueue.url).toBe(`https://tfsyncstore.queue.core.windows.net/${IOC_QUEUE}`);
    expect(storage.poisonQueue.url).toBe(`https://tfsyncstore.queue.core.windows.net/${IOC_QUEUE}-poison`);
    expect(storage.poisonQueue.name).toBe(IOC_POISON_QUEUE);
    expect(storage.batchContainer.url).toBe(`https://blobs.example.test/${BATCH_CONTAINER}`);
    expect(credential.calls).toBe(0);
  });

  it('refuses to build them without a credential', () => {
    expect(configErrorOf(() => createTableClient(settings, STATE_TABLE))).toMatch(/TokenCredential/);
  });

  it('storageClients uses the injected credential rather than building one', () => {
    const credential = new CountingCredential();
    const storage = storageClients({ AzureWebJobsStorage__accountName: 'tfsyncstore' }, credential);
    expect(storage.iocQueue.url).toBe(`https://tfsyncstore.queue.core.windows.net/${IOC_QUEUE}`);
  });
});

describe('clients for UseDevelopmentStorage=true (no network)', () => {
  it('point at the emulator defaults', () => {
    const storage = storageClients({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(storage.stateTable.url).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(storage.iocQueue.url).toBe(`http://127.0.0.1:10001/devstoreaccount1/${IOC_QUEUE}`);
    expect(storage.batchContainer.url).toBe(`http://127.0.0.1:10000/devstoreaccount1/${BATCH_CONTAINER}`);
  });
});

describe('clients for a connection string, against Azurite', () => {
  const azurite = useAzurite();

  it('create the app storage and round-trip through each service', async () => {
    const storage = storageClients({ AzureWebJobsStorage: azurite().connectionString });
    expect(storage.stateTable.url).toBe(azurite().tableEndpoint);
    await ensureAppStorage(storage);
    await ensureAppStorage(storage); // idempotent

    await storage.stateTable.upsertEntity({ partitionKey: 'p', rowKey: 'r', n: 7 });
    expect((await storage.stateTable.getEntity<{ n: number }>('p', 'r')).n).toBe(7);

    await storage.iocQueue.sendMessage('hello');
    const received = await storage.iocQueue.receiveMessages();
    expect(received.receivedMessageItems.map((m) => m.messageText)).toEqual(['hello']);
    expect(await storage.poisonQueue.exists()).toBe(true);

    await storage.batchContainer.getBlockBlobClient('x.txt').upload('abc', 3);
    expect((await storage.batchContainer.getBlockBlobClient('x.txt').downloadToBuffer()).toString()).toBe('abc');
  });
});
