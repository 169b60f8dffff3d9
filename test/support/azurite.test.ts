import { TableClient } from '@azure/data-tables';
import { startAzurite } from './azurite';

describe('test/support/azurite', () => {
  it('starts a real Azurite on 127.0.0.1 free ports and stops it, process and all', async () => {
    const azurite = await startAzurite();
    try {
      for (const e of [azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint]) {
        expect(e).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      }
      const table = TableClient.fromConnectionString(azurite.connectionString, 'smoke', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', v: 1 });
      expect((await table.getEntity<{ v: number }>('p', 'r')).v).toBe(1);
    } finally {
      await azurite.stop();
    }
    await expect(fetch(azurite.tableEndpoint)).rejects.toThrow();
  });
});
