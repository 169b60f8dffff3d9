import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import type { Ioc } from '../../lib/ioc/types';
import { runUpsert } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';
import { planBatches } from '../../lib/queue/batches';
import { withLock } from '../../lib/state/lock';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { connect } from '../sentinel/harness';
import { useAzurite } from '../support/azurite';

const FAMILY = 'win.netsupportmanager_rat';
const domains = (prefix: string, n: number): Ioc[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'domain', value: `${prefix}${i}.example.com`, malware: FAMILY, threatType: 'botnet_cc', confidence: 90, firstSeen: '2026-11-20T00:00:00Z' }));

describe('runUpsert (queue job)', () => {
  const azurite = useAzurite();
  let arm: ArmFake;
  let container: ContainerClient;
  let table: TableClient;
  let poison: QueueClient;

  beforeAll(async () => {
    arm = await startArmFake();
    const cs = azurite().connectionString;
    container = new ContainerClient(cs, 'upsert-test');
    await container.createIfNotExists();
    table = TableClient.fromConnectionString(cs, 'upserttest', { allowInsecureConnection: true });
    await table.createTable();
    poison = new QueueClient(cs, 'upsert-test-poison');
    await poison.createIfNotExists();
  });
  afterAll(() => arm.close());

  it('two batches of one family at once: the hunting queries end up covering both', async () => {
    const { indicators, savedSearches } = connect(arm);
    const settings = loadSettings({ ARM_CONCURRENCY: '4' });
    const deps = (runId: string) => ({
      settings,
      stores: { indicators, savedSearches },
      storage: { stateTable: table, batchContainer: container, poisonQueue: poison },
      logger: silentLogger,
      runId,
      now: new Date('2026-11-23T00:00:00Z'),
    });
    const [a] = planBatches(domains('alpha', 15), { runId: 'a', family: FAMILY });
    const [b] = planBatches(domains('bravo', 15), { runId: 'b', family: FAMILY });
    expect(await Promise.all([runUpsert(a, deps('a')), runUpsert(b, deps('b'))])).toEqual(['landed', 'landed']);

    expect(arm.indicators.size).toBe(30);
    const dns = [...arm.savedSearches.values()].find((s) => (s.properties.query as string).includes('\nDnsEvents'))!;
    expect(dns.properties.query).toContain('"alpha0.example.com"');
    expect(dns.properties.query).toContain('"bravo14.example.com"');
  });
});

describe('withLock', () => {
  const azurite = useAzurite();
  let container: ContainerClient;
  beforeAll(async () => {
    container = new ContainerClient(azurite().connectionString, 'lock-test');
    await container.createIfNotExists();
  });

  it('runs one holder at a time per name, and names do not block each other', async () => {
    const events: string[] = [];
    const hold = (name: string, family: string, ms: number) =>
      withLock(container, family, async () => {
        events.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`${name}-`);
      });
    await Promise.all([hold('a', 'f1', 300), hold('b', 'f1', 10), hold('c', 'f2', 10)]);
    const a = events.indexOf('a+');
    const b = events.indexOf('b+');
    const [first, second] = a < b ? ['a', 'b'] : ['b', 'a'];
    expect(events.indexOf(`${second}+`)).toBeGreaterThan(events.indexOf(`${first}-`));
    expect(events.indexOf('c-')).toBeLessThan(events.indexOf('a-')); // f2 never waited for f1's long holder
  });

  it('a holder that loses its lease mid-work fails instead of finishing alongside the next one', async () => {
    const work = withLock(
      container,
      'stolen',
      async () => {
        // Someone breaks the lease (as Storage does for an expired one taken over).
        await container.getBlockBlobClient('locks/stolen').getBlobLeaseClient().breakLease(0);
        await new Promise((r) => setTimeout(r, 5_500)); // past the first renewal (leaseSeconds / 3)
        return 'done';
      },
      { leaseSeconds: 15 },
    );
    await expect(work).rejects.toThrow(/lost lock stolen/);
    await expect(withLock(container, 'stolen', async () => 'next', { waitMs: 1000 })).resolves.toBe('next');
  }, 20_000);

  it('recreates a lock blob swept away between runs', async () => {
    await withLock(container, 'swept', async () => undefined);
    await container.getBlockBlobClient('locks/swept').delete();
    await expect(withLock(container, 'swept', async () => 'again')).resolves.toBe('again');
  });

  it('gives up with a retryable error when the family stays busy, and frees the lock after an error', async () => {
    let release!: () => void;
    const holder = withLock(container, 'busy', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 100));
    await expect(withLock(container, 'busy', async () => 1, { waitMs: 300 })).rejects.toThrow(/held by another run/);
    release();
    await holder;
    await expect(withLock(container, 'busy', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(withLock(container, 'busy', async () => 'free', { waitMs: 300 })).resolves.toBe('free');
  });
});
