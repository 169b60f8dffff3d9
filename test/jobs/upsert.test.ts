import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import type { Ioc } from '../../lib/ioc/types';
import { runUpsert } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';
import { planBatches } from '../../lib/queue/batches';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { connect } from '../sentinel/harness';
import { useAzurite } from '../support/azurite';

const FAMILY = 'win.netsupportmanager_rat';
const domains = (prefix: string, n: number): Ioc[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'domain',
    value: `${prefix}${i}.example.com`,
    malware: FAMILY,
    threatType: 'botnet_cc',
    confidence: 90,
    firstSeen: '2026-11-20T00:00:00Z',
  }));

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

  it('two batches of one family at once, with no lock: both land, and the saved searches read both from ThreatIntelIndicators', async () => {
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
    const dns = [...arm.savedSearches.values()].find((s) => (s.properties.query as string).includes(' = DnsEvents\n'))!;
    // The IOCs are not in the query: it joins the family's indicators, so neither batch can drop the other's.
    expect(dns.properties.query).toContain('ThreatIntelIndicators');
    expect(dns.properties.query).toContain('"malware:win.netsupportmanager_rat"');
    expect(dns.properties.query).not.toContain('alpha0.example.com');
  });
});
