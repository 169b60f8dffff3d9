import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import { parseIocText } from '../../lib/ioc/normalise';
import type { Ioc } from '../../lib/ioc/types';
import { runUpsert } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';
import { planBatches } from '../../lib/queue/batchSender';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { connect } from '../sentinel/harness';
import { useAzurite } from '../support/azurite';
import { markLanded } from '../../lib/state/seenIocs';
import { capturedLogs } from '../support/logs';
import type { WorkspaceStores } from '../../lib/sentinel/stores';

const FAMILY = 'win.netsupportmanager_rat';
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
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

  /** One delivery's dependencies: these workspaces, Azurite's storage, a quiet logger. */
  const depsFor = (stores: WorkspaceStores[], runId: string, now: string, settings = loadSettings({})) => ({
    settings,
    stores,
    storage: { stateTable: table, batchContainer: container, poisonQueue: poison },
    logger: silentLogger,
    runId,
    now: new Date(now),
  });

  it('two batches of one family at once, with no lock: both land, and the saved searches read both from ThreatIntelIndicators', async () => {
    const { workspace, indicators, savedSearches } = connect(arm);
    const settings = loadSettings({ ARM_CONCURRENCY: '4' });
    const deps = (runId: string) =>
      depsFor([{ workspace, indicators, savedSearches }], runId, '2026-11-23T00:00:00Z', settings);
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
    const { workspace, indicators, savedSearches } = connect(arm);
    const deps = (runId: string, now: string) => depsFor([{ workspace, indicators, savedSearches }], runId, now);
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

  const patternsIn = (workspace: string, prefix: string) =>
    [...arm.indicators.values()]
      .filter((i) => i.id.includes(`/workspaces/${workspace}/`) && String(i.properties.pattern).includes(prefix))
      .map((i) => String(i.properties.pattern))
      .sort();

  it('a workspace added later receives every IOC; an analyst deletion in the first workspace still stands there', async () => {
    const first = connect(arm);
    const added = connect(arm, { workspaceName: 'law-added' });
    const workspace = (workspaceName: string, c: typeof first): WorkspaceStores => ({
      workspace: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-soc', workspaceName },
      indicators: c.indicators,
      savedSearches: c.savedSearches,
    });
    const deps = (runId: string, now: string, stores: WorkspaceStores[]) => depsFor(stores, runId, now);
    const iocs = domains('delta', 3);
    const [one] = planBatches(iocs, { runId: 'd1', family: FAMILY });
    await runUpsert(one, deps('d1', '2026-11-23T00:00:00Z', [workspace('law-sentinel', first)]));
    const deleted = [...arm.indicators.values()].find((i) => String(i.properties.pattern).includes('delta0.'))!;
    arm.indicators.delete(deleted.name); // the analyst's decision, in the first workspace

    // SENTINEL_WORKSPACES gains a workspace: the next batch goes to both.
    const seenAgain = iocs.map((i) => ({ ...i, lastSeen: '2026-11-24T00:00:00Z' }));
    const [two] = planBatches(seenAgain, { runId: 'd2', family: FAMILY });
    const both = [workspace('law-sentinel', first), workspace('law-added', added)];
    const logs = capturedLogs('info');
    expect(await runUpsert(two, { ...deps('d2', '2026-11-24T06:00:00Z', both), logger: logs.logger })).toBe('landed');
    // Kept out visibly, and only where it was deleted.
    expect(logs.lines.filter((l) => l.keptOut !== undefined).map((l) => [l.workspace, l.keptOut])).toEqual([
      [expect.stringMatching(/\/workspaces\/law-sentinel$/), 1],
    ]);
    expect(patternsIn('law-added', 'delta')).toHaveLength(3);
    expect(patternsIn('law-sentinel', 'delta')).toHaveLength(2);

    // Now it landed in the added workspace too: a deletion there stands as well.
    const there = [...arm.indicators.values()].find(
      (i) => i.id.includes('/workspaces/law-added/') && String(i.properties.pattern).includes('delta1.'),
    )!;
    arm.indicators.delete(there.name);
    const again = iocs.map((i) => ({ ...i, lastSeen: '2026-11-25T00:00:00Z' }));
    const [three] = planBatches(again, { runId: 'd3', family: FAMILY });
    expect(await runUpsert(three, deps('d3', '2026-11-25T06:00:00Z', both))).toBe('landed');
    expect(patternsIn('law-added', 'delta')).toHaveLength(2);
    expect(patternsIn('law-sentinel', 'delta')).toHaveLength(2);
  });

  it('an IOC whose seen row predates per-workspace records (no landedIn, no validUntil) is created again when missing', async () => {
    const { workspace, indicators, savedSearches } = connect(arm);
    const iocs = domains('echo', 2);
    // The rows an earlier version wrote: fingerprint only.
    await markLanded(table, FAMILY, iocs);
    const [batch] = planBatches(iocs, { runId: 'e1', family: FAMILY });
    const deps = depsFor([{ workspace, indicators, savedSearches }], 'e1', '2026-11-23T00:00:00Z');
    expect(await runUpsert(batch, deps)).toBe('landed');
    expect(patternsIn('law-sentinel', 'echo')).toEqual([
      "[domain-name:value = 'echo0.example.com']",
      "[domain-name:value = 'echo1.example.com']",
    ]);
  });

  it('a message the previous version wrote (URLs without a hunted host) hunts as before: decided with the settings allow-list', async () => {
    const { workspace, indicators, savedSearches } = connect(arm);
    const settings = loadSettings({ BENIGN_ALLOWLIST: 'partner-co.net' });
    const deps = (runId: string) =>
      depsFor([{ workspace, indicators, savedSearches }], runId, '2026-11-23T00:00:00Z', settings);
    const urls = [
      'http://foxtrot-drop.com/gate.php',
      'https://cdn.partner-co.net/foxtrot.zip',
      'https://raw.githubusercontent.com/a/foxtrot/x.zip',
    ];
    const context = { malware: FAMILY, threatType: 'payload_delivery', firstSeen: '2026-11-20T00:00:00Z' };
    const written = () =>
      urls.map((url) => [...arm.indicators.values()].find((i) => i.properties.pattern === `[url:value = '${url}']`));
    const huntHosts = () =>
      written().map((i) =>
        ((i?.properties.labels as string[] | undefined) ?? []).filter((l) => l.startsWith('hunt-host:')),
      );

    // The text the previous version queued: the IOCs carry no huntedHost.
    const old = JSON.stringify({
      version: 1,
      runId: 'f1',
      family: FAMILY,
      iocs: urls.map((value) => ({ type: 'url', value, ...context })),
    });
    expect(await runUpsert(old, deps('f1'))).toBe('landed');
    // Hunted as before: the host on its own, unless well known or allow-listed.
    expect(huntHosts()).toEqual([['hunt-host:foxtrot-drop.com'], [], []]);

    // This version's message for the same IOCs carries the decision normalising made with the same
    // allow-list, and lands the same indicators: nothing changes.
    const before = JSON.stringify(written());
    const { iocs } = parseIocText(urls.join('\n'), context, settings.allowlist);
    expect(iocs.map((i) => i.huntedHost)).toEqual(['foxtrot-drop.com', undefined, undefined]);
    const [current] = planBatches(iocs, { runId: 'f2', family: FAMILY });
    expect(await runUpsert(current, deps('f2'))).toBe('landed');
    expect(JSON.stringify(written())).toBe(before);
  });
});
