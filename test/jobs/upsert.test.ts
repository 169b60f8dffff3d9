import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import type { Ioc } from '../../lib/ioc/types';
import { runUpsert } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';
import { planBatches } from '../../lib/queue/batchSender';
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

  it('an indicator an analyst deleted is not created again when its IOC comes back changed; one still listed is updated', async () => {
    const { indicators, savedSearches } = connect(arm);
    const deps = (runId: string, now: string) => ({
      settings: loadSettings({}),
      stores: { indicators, savedSearches },
      storage: { stateTable: table, batchContainer: container, poisonQueue: poison },
      logger: silentLogger,
      runId,
      now: new Date(now),
    });
    const iocs = domains('charlie', 3);
    const [first] = planBatches(iocs, { runId: 'c1', family: FAMILY });
    expect(await runUpsert(first, deps('c1', '2026-11-23T00:00:00Z'))).toBe('landed');
    const ours = () => [...arm.indicators.values()].filter((i) => String(i.properties.pattern).includes('charlie'));
    const deleted = ours().find((i) => String(i.properties.pattern).includes('charlie0.'))!;
    arm.indicators.delete(deleted.name); // the analyst's decision

    // ThreatFox saw them again: a changed batch, as the daily full pull re-sends it.
    const seenAgain = iocs.map((i) => ({ ...i, lastSeen: '2026-11-24T00:00:00Z' }));
    const [second] = planBatches(seenAgain, { runId: 'c2', family: FAMILY });
    expect(await runUpsert(second, deps('c2', '2026-11-24T06:00:00Z'))).toBe('landed');
    expect(
      ours()
        .map((i) => i.properties.pattern)
        .sort(),
    ).toEqual(["[domain-name:value = 'charlie1.example.com']", "[domain-name:value = 'charlie2.example.com']"]);
    expect(ours().every((i) => String(i.properties.validUntil).startsWith('2026-12-24'))).toBe(true);
  });
});
