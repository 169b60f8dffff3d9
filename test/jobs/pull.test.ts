import { ContainerClient } from '@azure/storage-blob';
import pino from 'pino';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import { runPull } from '../../lib/jobs/pull';
import { silentLogger } from '../../lib/logger';
import { BATCH_CONTAINER } from '../../lib/names';
import { landedKey, markLanded } from '../../lib/state/seenIocs';
import { getWatermark, WATERMARK_PARTITION } from '../../lib/state/watermark';
import { listRuns } from '../support/runHistory';
import type { IocBatchMessage } from '../../lib/queue/batchMessage';
import { ThreatFoxClient } from '../../lib/threatfox/client';
import {
  COBALT_STRIKE,
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { useAzurite } from '../support/azurite';

const HOUR = 60 * 60 * 1000;

describe('runPull (timer job) over Azurite', () => {
  const azurite = useAzurite();
  let fake: ThreatFoxFake;
  let table: TableClient;
  let container: ContainerClient;
  let queue: QueueClient;
  let n = 0;

  beforeAll(async () => {
    fake = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    // A fresh table per test: watermarks and landed IOCs start empty.
    table = TableClient.fromConnectionString(azurite().connectionString, `pulltest${++n}`, {
      allowInsecureConnection: true,
    });
    await table.createTable();
    container = new ContainerClient(azurite().connectionString, BATCH_CONTAINER);
    await container.createIfNotExists();
    queue = new QueueClient(azurite().connectionString, `pulltest-${n}`);
    await queue.createIfNotExists();
    fake.requests.length = 0;
  });

  const run = (malware: string, now: Date, days = '1', landedKeys?: string[]) =>
    runPull({
      landedKeys,
      settings: loadSettings({ THREATFOX_MALWARE: malware, THREATFOX_DAYS: days }),
      threatfox: new ThreatFoxClient({ apiUrl: fake.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
      storage: { stateTable: table, batchContainer: container, iocQueue: queue },
      logger: silentLogger,
      runId: `run-${now.getTime()}`,
      now,
    });
  const queries = () => fake.requests.map((r) => r.body as { query: string; malware?: string; days?: number });

  it('a family ThreatFox rejects does not stop the others: their batches go out, only their watermark moves', async () => {
    const result = await run(`${NETSUPPORT},win.no_such_family`, SEED_NOW);
    expect(result.status).toBe('partial');
    expect(result.messages.length).toBeGreaterThan(0);
    expect(result.messages.every((m) => m.family === NETSUPPORT)).toBe(true);
    expect(result.families.find((f) => f.family === 'win.no_such_family')?.error).toMatch(/THREATFOX_MALWARE/);
    expect(await getWatermark(table, NETSUPPORT)).toBe(SEED_NOW.toISOString());
    expect(await getWatermark(table, 'win.no_such_family')).toBeUndefined();
  });

  it('a family configured by an alias is an error naming the id ThreatFox answers with; its watermark stays', async () => {
    // malwareinfo also answers to a family's other names, with the canonical id in every record.
    const aliased = seedRecords()
      .filter((r) => r.malware === COBALT_STRIKE)
      .map((r) => ({ ...r, malware_printable: 'beacon' }));
    const other = await startThreatFoxFake({
      records: [...aliased, ...seedRecords().filter((r) => r.malware === NETSUPPORT)],
      now: SEED_NOW,
    });
    try {
      const result = await runPull({
        settings: loadSettings({ THREATFOX_MALWARE: `beacon,${NETSUPPORT}` }),
        threatfox: new ThreatFoxClient({ apiUrl: other.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
        storage: { stateTable: table, batchContainer: container, iocQueue: queue },
        logger: silentLogger,
        runId: 'alias',
        now: SEED_NOW,
      });
      expect(result.status).toBe('partial');
      expect(result.families.find((f) => f.family === 'beacon')?.error).toBe(
        `THREATFOX_MALWARE "beacon": ThreatFox answers with "${COBALT_STRIKE}"; configure that id`,
      );
      expect(await getWatermark(table, 'beacon')).toBeUndefined();
      expect(result.families.find((f) => f.family === NETSUPPORT)).toMatchObject({ iocs: 21 });
    } finally {
      await other.close();
    }
  });

  it('throws when every family fails, so the failure is visible', async () => {
    await expect(run('win.no_such_family', SEED_NOW)).rejects.toThrow(/pull failed for every family/);
  });

  it('pulls in full daily and the recent window in between, one get_iocs for families that share a window', async () => {
    const families = `${NETSUPPORT},${COBALT_STRIKE}`;
    const first = await run(families, SEED_NOW);
    expect(queries()).toEqual([
      { query: 'malwareinfo', malware: NETSUPPORT, limit: 1000 },
      { query: 'malwareinfo', malware: COBALT_STRIKE, limit: 1000 },
    ]);
    expect(first.families.map((f) => f.window)).toEqual([{ mode: 'full' }, { mode: 'full' }]);

    fake.requests.length = 0;
    const hourLater = await run(families, new Date(SEED_NOW.getTime() + HOUR));
    expect(queries()).toEqual([{ query: 'get_iocs', days: 1 }]);
    expect(hourLater.families.map((f) => f.family)).toEqual([NETSUPPORT, COBALT_STRIKE]);

    fake.requests.length = 0;
    await run(families, new Date(SEED_NOW.getTime() + 25 * HOUR));
    expect(queries().map((q) => q.query)).toEqual(['malwareinfo', 'malwareinfo']);
  });

  it('THREATFOX_DAYS is the least the recent window looks back', async () => {
    await run(NETSUPPORT, SEED_NOW, '3');
    fake.requests.length = 0;
    await run(NETSUPPORT, new Date(SEED_NOW.getTime() + HOUR), '3');
    expect(queries()).toEqual([{ query: 'get_iocs', days: 3 }]);
  });

  it('enqueues only what has not landed, so a daily full pull re-sends a batch that was lost', async () => {
    const first = await run(NETSUPPORT, SEED_NOW);
    const sent = first.families[0].fresh;
    expect(sent).toBe(21);
    // Only the first message's IOCs land (say the rest were lost or parked).
    const landed = first.messages[0];
    if (!('iocs' in landed)) throw new Error('expected an inline message');
    await markLanded(table, NETSUPPORT, landed.iocs.slice(0, 5));

    const nextDay = await run(NETSUPPORT, new Date(SEED_NOW.getTime() + 25 * HOUR));
    expect(nextDay.families[0]).toMatchObject({ window: { mode: 'full' }, iocs: 21, fresh: 16 });
  });

  it('re-sends an IOC not yet landed in every configured workspace (one added later), and only such', async () => {
    const [first, added] = ['/w/law-a', '/w/law-b'].map((id) => landedKey(id, 'ThreatFox'));
    const sent = await run(NETSUPPORT, SEED_NOW, '1', [first]);
    const landed = sent.messages[0];
    if (!('iocs' in landed)) throw new Error('expected an inline message');
    await markLanded(table, NETSUPPORT, landed.iocs, 30, [first]);
    const count = landed.iocs.length;

    const sameWorkspaces = await run(NETSUPPORT, new Date(SEED_NOW.getTime() + 25 * HOUR), '1', [first]);
    expect(sameWorkspaces.families[0]).toMatchObject({ iocs: 21, fresh: 21 - count });
    const oneAdded = await run(NETSUPPORT, new Date(SEED_NOW.getTime() + 50 * HOUR), '1', [first, added]);
    expect(oneAdded.families[0]).toMatchObject({ iocs: 21, fresh: 21 });
  });

  /** Every message on the queue (decoded as the queue trigger does), removed as read. */
  async function drain(q: QueueClient = queue): Promise<IocBatchMessage[]> {
    const out: IocBatchMessage[] = [];
    for (;;) {
      const { receivedMessageItems: items } = await q.receiveMessages({ numberOfMessages: 32 });
      if (items.length === 0) return out;
      for (const item of items) {
        out.push(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
        await q.deleteMessage(item.messageId, item.popReceipt);
      }
    }
  }
  const inlineIocs = (messages: IocBatchMessage[]) => messages.flatMap((m) => ('iocs' in m ? m.iocs : []));

  it('sends the batches to the queue itself (base64), before the watermark moves', async () => {
    const result = await run(NETSUPPORT, SEED_NOW);
    const sent = await drain();
    expect(sent).toEqual(result.messages);
    expect(inlineIocs(sent)).toHaveLength(21);
    expect(await getWatermark(table, NETSUPPORT)).toBe(SEED_NOW.toISOString());
  });

  it('a crash between enqueueing and saving the watermark: the next tick sends the IOCs again', async () => {
    // The table refuses the watermark write, as if the worker died right after the last sendMessage.
    const crashing = new Proxy(table, {
      get(target, prop, receiver) {
        if (prop === 'createEntity' || prop === 'updateEntity') {
          return async (entity: { partitionKey: string }) => {
            if (entity.partitionKey === WATERMARK_PARTITION)
              throw new Error('worker crashed before saving the watermark');
            return (target[prop] as (...a: unknown[]) => unknown).call(target, entity);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const settings = loadSettings({ THREATFOX_MALWARE: NETSUPPORT });
    const threatfox = new ThreatFoxClient({ apiUrl: fake.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 });
    const storage = { stateTable: crashing, batchContainer: container, iocQueue: queue };
    await expect(
      runPull({ settings, threatfox, storage, logger: silentLogger, runId: 'crash', now: SEED_NOW }),
    ).rejects.toThrow(/worker crashed/);
    expect(inlineIocs(await drain())).toHaveLength(21); // enqueued before the crash
    expect(await getWatermark(table, NETSUPPORT)).toBeUndefined();

    // Those messages never land (say the upsert failed): the next tick pulls the same window and sends them again.
    const next = await run(NETSUPPORT, new Date(SEED_NOW.getTime() + HOUR));
    expect(next.families[0]).toMatchObject({ window: { mode: 'full' }, fresh: 21 });
    expect(inlineIocs(await drain())).toHaveLength(21);
    expect(await getWatermark(table, NETSUPPORT)).toBe(new Date(SEED_NOW.getTime() + HOUR).toISOString());
  });

  it('a queue that fails part-way: the watermark stays and the next tick sends everything', async () => {
    let sends = 0;
    const flaky = new Proxy(queue, {
      get(target, prop, receiver) {
        if (prop === 'sendMessage') {
          return async (text: string) => {
            if (++sends === 2) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
            return target.sendMessage(text);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    // Small messages, so the family needs several.
    const many = Array.from({ length: 300 }, (_, i) => ({
      ...seedRecords()[0],
      id: String(9_000_000 + i),
      ioc: `c2-${i}.queue-test.com`,
      ioc_type: 'domain',
    }));
    const other = await startThreatFoxFake({ records: many, now: SEED_NOW });
    try {
      const deps = (q: QueueClient) => ({
        settings: loadSettings({ THREATFOX_MALWARE: NETSUPPORT }),
        threatfox: new ThreatFoxClient({ apiUrl: other.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
        storage: { stateTable: table, batchContainer: container, iocQueue: q },
        logger: silentLogger,
        runId: 'flaky',
        now: SEED_NOW,
      });
      await expect(runPull(deps(flaky))).rejects.toThrow(/connection reset/);
      expect(await getWatermark(table, NETSUPPORT)).toBeUndefined();
      await drain();
      const again = await runPull(deps(queue));
      expect(again.messages.length).toBeGreaterThan(1);
      expect(new Set(inlineIocs(await drain()).map((i) => i.value)).size).toBe(300);
      expect(await getWatermark(table, NETSUPPORT)).toBe(SEED_NOW.toISOString());
    } finally {
      await other.close();
    }
  });

  it('a pull that rejects most records fails loudly, names the count and reasons, and keeps its watermark', async () => {
    const good = seedRecords()
      .filter((r) => r.malware === NETSUPPORT)
      .slice(0, 3);
    // A format change: first_seen in another format on most records.
    const changed = Array.from({ length: 9 }, (_, i) => ({
      ...good[0],
      id: String(8_000_000 + i),
      ioc: `changed-${i}.format-test.com`,
      ioc_type: 'domain',
      first_seen: '2026-06-20T10:00:00Z',
    }));
    const other = await startThreatFoxFake({ records: [...good, ...changed], now: SEED_NOW });
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line).msg) });
    try {
      const pull = runPull({
        settings: loadSettings({ THREATFOX_MALWARE: NETSUPPORT }),
        threatfox: new ThreatFoxClient({ apiUrl: other.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
        storage: { stateTable: table, batchContainer: container, iocQueue: queue },
        logger,
        runId: 'format',
        now: SEED_NOW,
      });
      await expect(pull).rejects.toThrow(/9 of 12 ThreatFox records rejected .*first_seen/);
      expect(
        errors.some((e) =>
          /^9 of 12 ThreatFox records rejected \(more than 50%\).*First reasons: .*first_seen/.test(e),
        ),
      ).toBe(true);
      // The records that did parse still go out; the window is pulled again next time.
      expect(inlineIocs(await drain())).toHaveLength(3);
      expect(await getWatermark(table, NETSUPPORT)).toBeUndefined();
      const runs = await listRuns(table, 5);
      expect(runs[0]).toMatchObject({ trigger: 'timer', status: 'failed', counts: { fetched: 12, rejected: 9 } });
    } finally {
      await other.close();
    }
  });
});
