import { armIndicatorStore } from '../../lib/sentinel/indicatorStore';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { connect, targetFor } from './harness';

const INDICATOR = {
  patternType: 'domain-name',
  source: 'ThreatFox',
  validFrom: '2026-06-01T00:00:00Z',
  displayName: 'test',
  threatIntelligenceTags: [],
};

/** `count` ThreatFox indicators plus one of another source, which the filter must skip. */
function seed(fake: ArmFake, count: number): string[] {
  fake.seedIndicator({ ...INDICATOR, pattern: "[domain-name:value = 'foreign.example']", source: 'Someone Else' });
  return Array.from({ length: count }, (_, i) =>
    fake.seedIndicator({ ...INDICATOR, pattern: `[domain-name:value = 'd${i}.example']` }),
  );
}

async function names(store: ReturnType<typeof armIndicatorStore>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of store.listBySource('ThreatFox')) out.push(item.name);
  return out;
}

describe('armIndicatorStore.listBySource paging', () => {
  let fake: ArmFake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('reads on past a page with nothing on it, up to the last page', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { emptyPages: [1] } });
    const ours = seed(fake, 5);
    const got = await names(connect(fake).indicators);
    expect(got.sort()).toEqual([...ours].sort());
    const queries = fake.requests.filter((r) => r.operation === 'queryIndicators');
    // 3 pages of data and the empty answer before the second; every page a POST with the source filter.
    expect(queries.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(
      queries.every((r) => r.method === 'POST' && (r.body as { sources: string[] }).sources[0] === 'ThreatFox'),
    ).toBe(true);
  });

  it('stops when the service hands out the same next token again after the last page', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { endlessNextLink: true } });
    const ours = seed(fake, 3);
    const got = await names(connect(fake).indicators);
    expect(got.sort()).toEqual([...ours].sort());
    // 2 pages of data, then one past the end whose nextLink repeats its own token.
    expect(fake.requests.filter((r) => r.operation === 'queryIndicators')).toHaveLength(3);
  });

  it('gives up with an error, not a partial read, after the page cap', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    seed(fake, 7);
    const { clients } = connect(fake);
    const capped = armIndicatorStore(clients.securityInsights, targetFor(fake), { maxPages: 2 });
    await expect(names(capped)).rejects.toThrow(/still had more after 2 pages/);
    expect(fake.requests.filter((r) => r.operation === 'queryIndicators')).toHaveLength(2);
    const uncapped = armIndicatorStore(clients.securityInsights, targetFor(fake));
    expect(await names(uncapped)).toHaveLength(7);
  });
});
