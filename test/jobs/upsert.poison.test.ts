import type { QueueClient } from '@azure/storage-queue';
import { loadSettings } from '../../lib/config';
import { runUpsert, type UpsertDeps } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';

/** A malformed message never reaches storage or Sentinel: only the poison queue, recorded here. */
function depsParkingIn(sent: string[], over: Partial<UpsertDeps> = {}): UpsertDeps {
  const poisonQueue = { sendMessage: async (text: string) => void sent.push(text) } as unknown as QueueClient;
  const unused = new Proxy(
    {},
    {
      get: () => {
        throw new Error('not used for a malformed message');
      },
    },
  );
  return {
    settings: loadSettings({}),
    stores: unused as UpsertDeps['stores'],
    storage: { stateTable: unused, batchContainer: unused, poisonQueue } as unknown as UpsertDeps['storage'],
    logger: silentLogger,
    runId: 'delivery-1',
    ...over,
  };
}

describe('runUpsert parks a malformed message in the host.json message encoding', () => {
  const malformed = { runId: 'r1', family: 'win.netsupportmanager_rat', iocs: 'not a list' };

  it('base64 by default, as the host writes its own poison messages', async () => {
    const sent: string[] = [];
    expect(await runUpsert(malformed, depsParkingIn(sent))).toBe('parked');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(Buffer.from(sent[0], 'base64').toString('utf8'))).toEqual(malformed);
  });

  it('as the JSON itself with messageEncoding none', async () => {
    const sent: string[] = [];
    expect(await runUpsert(malformed, depsParkingIn(sent, { messageEncoding: 'none' }))).toBe('parked');
    expect(sent).toEqual([JSON.stringify(malformed)]);
  });

  it('a malformed string is parked as it came, encoded the same way', async () => {
    const sent: string[] = [];
    await runUpsert('{not json', depsParkingIn(sent, { messageEncoding: 'none' }));
    await runUpsert('{not json', depsParkingIn(sent));
    expect(sent).toEqual(['{not json', Buffer.from('{not json').toString('base64')]);
  });
});
