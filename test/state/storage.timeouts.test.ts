import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppStorage, readStorageSettings } from '../../lib/state/storage';

/**
 * Issue 9, item 2, for Storage: a storage endpoint that accepts requests and never answers must not
 * hang a run. Every client the app builds gives up per attempt, retries a few times, then fails.
 */

/** Azurite's well-known development account key (public, in every emulator's docs). */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

describe('storage clients against an endpoint that never answers', () => {
  let server: Server;
  const seen: IncomingMessage[] = [];
  let connection: string;

  beforeAll(async () => {
    server = createServer((req) => {
      seen.push(req); // and never answer
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/devstoreaccount1`;
    connection = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=${base};QueueEndpoint=${base};TableEndpoint=${base};`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each([
    ['queue', (s: ReturnType<typeof createAppStorage>) => s.iocQueue.sendMessage('x'), 3],
    ['blob', (s: ReturnType<typeof createAppStorage>) => s.batchContainer.getBlockBlobClient('b').upload('x', 1), 3],
    ['table', (s: ReturnType<typeof createAppStorage>) => s.stateTable.getEntity('p', 'r'), 3],
  ])('%s: each attempt times out, is retried, and the call fails', async (_service, call, attempts) => {
    seen.length = 0;
    const storage = createAppStorage(readStorageSettings({ AzureWebJobsStorage: connection }), undefined, 200);
    await expect(call(storage)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringContaining('timed out after 200 ms'),
    });
    expect(seen).toHaveLength(attempts);
  });
});
