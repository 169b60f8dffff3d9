import { startArmFake, type ArmFake } from './armServer';
import { connect } from '../sentinel/harness';

const indicator = (value: string) => ({
  kind: 'indicator' as const,
  source: 'ThreatFox',
  pattern: `[domain-name:value = '${value}']`,
  patternType: 'domain-name',
  validFrom: '2026-06-20T00:00:00Z',
});

/** The fake ARM as several workspaces see it: each its own indicators, saved searches and customerId. */
describe('fake ARM with several workspaces', () => {
  let fake: ArmFake;
  beforeAll(async () => {
    fake = await startArmFake({ throttle: { burst: 1, perSecond: 0.001 } });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('keeps indicators apart, answers the workspace GET, and throttles per subscription', async () => {
    const eu = connect(fake, { workspaceName: 'law-eu', maxRetries: 0 });
    const us = connect(fake, {
      workspaceName: 'law-us',
      subscriptionId: '22222222-2222-3333-4444-555555555555',
      maxRetries: 0,
    });
    await eu.indicators.create(indicator('eu.example'));
    await us.indicators.create(indicator('us.example')); // another subscription: its own write bucket
    const list = async (c: typeof eu) => {
      const out: string[] = [];
      for await (const i of c.indicators.listBySource('ThreatFox')) out.push(i.properties.pattern!);
      return out;
    };
    expect(await list(eu)).toEqual(["[domain-name:value = 'eu.example']"]);
    expect(await list(us)).toEqual(["[domain-name:value = 'us.example']"]);
    // The bucket of law-eu's subscription is empty now: its next write is throttled, law-us's was not.
    await expect(eu.indicators.create(indicator('eu2.example'))).rejects.toMatchObject({ statusCode: 429 });

    const eu1 = await eu.clients.operationalInsights.workspaces.get('rg-soc', 'law-eu');
    const eu2 = await eu.clients.operationalInsights.workspaces.get('rg-soc', 'law-eu');
    const us1 = await us.clients.operationalInsights.workspaces.get('rg-soc', 'law-us');
    expect(eu1.customerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(eu2.customerId).toBe(eu1.customerId);
    expect(us1.customerId).not.toBe(eu1.customerId);
    expect(fake.workspace('rg-soc/law-eu').customerId).toBe(eu1.customerId);
    expect(
      fake.requests.filter((r) => r.operation === 'workspace').every((r) => r.query['api-version'] === '2022-10-01'),
    ).toBe(true);

    // Seeded without a workspace: seen by every workspace (older single-workspace tests rely on it).
    fake.seedIndicator(indicator('everywhere.example'));
    expect(await list(eu)).toContain("[domain-name:value = 'everywhere.example']");
    expect(await list(us)).toContain("[domain-name:value = 'everywhere.example']");
    expect(fake.workspace('rg-soc/law-eu').indicators()).toHaveLength(1);
  });

  it('keeps saved searches of the same id apart per workspace', async () => {
    const plain = await startArmFake();
    try {
      const eu = connect(plain, { workspaceName: 'law-eu' });
      const us = connect(plain, { workspaceName: 'law-us' });
      const body = (query: string) => ({ category: 'Hunting Queries', displayName: 'q', query });
      await eu.savedSearches.put('threatfox-x', body('DnsEvents | take 1'));
      await us.savedSearches.put('threatfox-x', body('DnsEvents | take 2'));
      expect((await eu.savedSearches.list()).map((s) => s.body.query)).toEqual(['DnsEvents | take 1']);
      expect((await us.savedSearches.list()).map((s) => s.body.query)).toEqual(['DnsEvents | take 2']);
      await us.savedSearches.remove('threatfox-x');
      expect(await us.savedSearches.list()).toEqual([]);
      expect(plain.workspace('rg-soc/law-eu').savedSearches()).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });
});
