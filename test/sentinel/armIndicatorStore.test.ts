import { armIndicatorStore } from '../../lib/sentinel/armIndicatorStore';
import type { ListOptions } from '../../lib/sentinel/indicatorStore';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { capturedLogs } from '../support/logs';
import { connect, targetFor } from './harness';

/** Written by an earlier run, an hour ago. */
const INDICATOR = {
  patternType: 'domain-name',
  source: 'ThreatFox',
  validFrom: '2026-06-01T00:00:00Z',
  displayName: 'test',
  threatIntelligenceTags: [],
  created: new Date(Date.now() - 3_600_000).toISOString(),
};

/** `count` ThreatFox indicators plus one of another source, which the filter must skip. */
function seed(fake: ArmFake, count: number): string[] {
  fake.seedIndicator({ ...INDICATOR, pattern: "[domain-name:value = 'foreign.example']", source: 'Someone Else' });
  return Array.from({ length: count }, (_, i) =>
    fake.seedIndicator({ ...INDICATOR, pattern: `[domain-name:value = 'd${i}.example']` }),
  );
}

async function names(store: ReturnType<typeof armIndicatorStore>, options?: ListOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const item of store.listBySource('ThreatFox', options)) out.push(item.name);
  return out;
}

const count = (fake: ArmFake, operation: string) => fake.requests.filter((r) => r.operation === operation).length;

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

describe('armIndicatorStore.listBySource completeness (checkComplete): a listing that ends early', () => {
  let fake: ArmFake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const cutOnce = { page: 1, as: 1, dropNextLink: true };

  it('asks the metrics once and reads once when they vouch for the listing', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    const ours = seed(fake, 5);
    const { logger, lines } = capturedLogs();
    expect((await names(connect(fake).indicators, { checkComplete: true, logger })).sort()).toEqual(ours.sort());
    expect(count(fake, 'queryIndicators')).toBe(3);
    expect(count(fake, 'metrics')).toBe(1);
    expect(lines).toEqual([]);
    expect(fake.contractViolations).toEqual([]);
  });

  it('is not checked unless asked (the read-back after creating)', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay: cutOnce } });
    seed(fake, 7);
    expect(await names(connect(fake).indicators)).toHaveLength(4);
    expect(count(fake, 'metrics')).toBe(0);
  });

  it('a last page without its nextLink: the second read finds what the first missed, an error naming the counts', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay: cutOnce } });
    seed(fake, 7);
    await expect(names(connect(fake).indicators, { checkComplete: true })).rejects.toMatchObject({
      code: 'AZURE',
      message: expect.stringMatching(
        /ended early: the first read listed 4 indicators, a second read 7 \(3 missed .*\) and the service's metrics count 7/,
      ),
    });
    expect(count(fake, 'metrics')).toBe(1);
  });

  it('cut the same way twice, below metrics computed after the first read began: an error', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay: { ...cutOnce, times: 2 } } });
    seed(fake, 7);
    fake.snapshotMetrics(new Date(Date.now() + 60_000)); // computed a minute into the read
    await expect(names(connect(fake).indicators, { checkComplete: true })).rejects.toMatchObject({
      code: 'AZURE',
      message: expect.stringMatching(/two reads listed 4 indicators and 4, but the service's metrics, computed after/),
    });
  });

  it('two reads that agree below metrics taken before deletes: a warning, and the listing stands', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    const ours = seed(fake, 7);
    fake.snapshotMetrics();
    for (const name of ours.slice(0, 3)) fake.indicators.delete(name); // the previous run removed duplicates
    const { logger, lines } = capturedLogs();
    const got = await names(connect(fake).indicators, { checkComplete: true, logger });
    expect(got.sort()).toEqual(ours.slice(3).sort());
    expect(lines).toEqual([
      expect.objectContaining({ listed: 4, listedAgain: 4, metrics: 7, msg: expect.stringMatching(/lagging/) }),
    ]);
  });

  it('one created while the first read ran (another run writing) is not taken for an early end', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    const ours = seed(fake, 5);
    // Just before the metrics are counted, someone creates one more.
    fake.failNext({
      match: (r) => {
        if (r.operation === 'metrics')
          fake!.seedIndicator({ ...INDICATOR, pattern: "[domain-name:value = 'new.example']", created: undefined });
        return false;
      },
    });
    const onUnvouched = jest.fn();
    expect((await names(connect(fake).indicators, { checkComplete: true, onUnvouched })).sort()).toEqual(ours.sort());
    expect(count(fake, 'queryIndicators')).toBe(6); // read twice: the metrics counted 6
    // Another run is writing: the writer is told to read back after creating.
    expect(onUnvouched).toHaveBeenCalled();
  });

  it('a complete read, metrics computed as it ran: vouched for (no read-back asked)', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    seed(fake, 5);
    const onUnvouched = jest.fn();
    await names(connect(fake).indicators, { checkComplete: true, onUnvouched });
    expect(onUnvouched).not.toHaveBeenCalled();
  });

  it('metrics that fail: a warning, and the listing stands', async () => {
    fake = await startArmFake({ maxPageSize: 2 });
    const ours = seed(fake, 5);
    fake.failAlways({ status: 503, match: (r) => r.operation === 'metrics' });
    const { logger, lines } = capturedLogs();
    const got = await names(connect(fake, { maxRetries: 1 }).indicators, { checkComplete: true, logger });
    expect(got.sort()).toEqual(ours.sort());
    expect(lines).toEqual([expect.objectContaining({ listed: 5, msg: expect.stringMatching(/metrics unavailable/) })]);
    expect(count(fake, 'queryIndicators')).toBe(3); // the last page was not full: not read again
  });

  it('metrics that fail, and a listing that ends on a full page: read again, so a cut is still caught', async () => {
    fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay: cutOnce } });
    seed(fake, 7);
    fake.failAlways({ status: 503, match: (r) => r.operation === 'metrics' });
    await expect(names(connect(fake, { maxRetries: 1 }).indicators, { checkComplete: true })).rejects.toThrow(
      /ended early: the first read listed 4 indicators, a second read 7/,
    );
  });
});
