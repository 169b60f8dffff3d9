import { ContainerClient } from '@azure/storage-blob';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import { runPull } from '../../lib/jobs/pull';
import { silentLogger } from '../../lib/logger';
import { BATCH_CONTAINER } from '../../lib/queue/constants';
import { markLanded } from '../../lib/state/seenIocs';
import { getWatermark } from '../../lib/state/watermark';
import { ThreatFoxClient } from '../../lib/threatfox/client';
import { COBALT_STRIKE, FAKE_AUTH_KEY, NETSUPPORT, SEED_NOW, seedRecords, startThreatFoxFake, type ThreatFoxFake } from '../fakes/threatfoxServer';
import { useAzurite } from '../support/azurite';

const HOUR = 60 * 60 * 1000;

describe('runPull (timer job) over Azurite', () => {
  const azurite = useAzurite();
  let fake: ThreatFoxFake;
  let table: TableClient;
  let container: ContainerClient;
  let n = 0;

  beforeAll(async () => {
    fake = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    // A fresh table per test: watermarks and landed IOCs start empty.
    table = TableClient.fromConnectionString(azurite().connectionString, `pulltest${++n}`, { allowInsecureConnection: true });
    await table.createTable();
    container = new ContainerClient(azurite().connectionString, BATCH_CONTAINER);
    await container.createIfNotExists();
    fake.requests.length = 0;
  });

  const run = (malware: string, now: Date, days = '1') =>
    runPull({
      settings: loadSettings({ THREATFOX_MALWARE: malware, THREATFOX_DAYS: days }),
      threatfox: new ThreatFoxClient({ apiUrl: fake.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
      storage: { stateTable: table, batchContainer: container },
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
    const other = await startThreatFoxFake({ records: [...aliased, ...seedRecords().filter((r) => r.malware === NETSUPPORT)], now: SEED_NOW });
    try {
      const result = await runPull({
        settings: loadSettings({ THREATFOX_MALWARE: `beacon,${NETSUPPORT}` }),
        threatfox: new ThreatFoxClient({ apiUrl: other.url, authKey: FAKE_AUTH_KEY, retryBaseDelayMs: 1 }),
        storage: { stateTable: table, batchContainer: container },
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
});
