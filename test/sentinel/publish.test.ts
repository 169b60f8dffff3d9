import type { Ioc } from '../../lib/ioc/types';
import { huntingQueryId } from '../../lib/kql/huntingQuery';
import { publish } from '../../lib/sentinel/publish';
import { toSavedSearch } from '../../lib/sentinel/savedSearch';
import { buildInlineQueries } from '../../lib/kql/inlineQueries';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { connect } from './harness';
import { manyIocs } from '../kql/fixtures';

const NSM = 'win.netsupportmanager_rat';
const OPTIONS = {
  source: 'ThreatFox',
  ttlDays: 30,
  huntingLookback: '14d',
  concurrency: 4,
  now: new Date('2026-11-23T00:00:00Z'),
};

describe('publishing saved searches (against the fake ARM)', () => {
  let arm: ArmFake;
  beforeEach(async () => {
    arm = await startArmFake();
  });
  afterEach(() => arm.close());

  const writes = (operation: string) =>
    arm
      .writes()
      .filter((r) => r.operation === operation || (operation === 'indicator' && r.operation === 'createIndicator'));

  test('a re-sync that adds one IOC writes one indicator and no saved search', async () => {
    const stores = connect(arm);
    const feed = manyIocs(40);
    const first = await publish(feed, stores, OPTIONS);
    expect(first.failures).toEqual([]);
    const searches = arm.savedSearches.size;
    expect(first.huntingQueries.created).toBe(searches);
    expect(searches).toBeGreaterThan(0);

    arm.clearRequests();
    const added: Ioc = {
      type: 'domain',
      value: 'new-c2.example.net',
      malware: NSM,
      malwarePrintable: 'NetSupportManager RAT',
      threatType: 'botnet_cc',
    };
    const second = await publish([...feed, added], stores, OPTIONS);
    expect(second.failures).toEqual([]);
    expect(second.indicators.created).toBe(1);
    expect(writes('indicator')).toHaveLength(1);
    expect(writes('savedSearch')).toEqual([]);
    expect(second.huntingQueries).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: searches });
    expect(arm.savedSearches.size).toBe(searches);
  });

  test('the same number of saved searches for 20 and for 1,000 IOCs of a family', async () => {
    const stores = connect(arm);
    await publish(manyIocs(20), stores, OPTIONS);
    const after20 = [...arm.savedSearches.keys()].sort();
    arm.clearRequests();
    const big = await publish(manyIocs(1000), stores, { ...OPTIONS, concurrency: 8 });
    expect(big.failures).toEqual([]);
    expect([...arm.savedSearches.keys()].sort()).toEqual(after20);
    expect(writes('savedSearch')).toEqual([]);
  }, 60_000);

  test('stale parts of the old split layout are removed; the table keeps its id', async () => {
    const stores = connect(arm);
    // What the previous version wrote: inline queries split into parts.
    const old = buildInlineQueries(manyIocs(400), { maxQueryChars: 4000 }).filter((q) => q.form === 'inline');
    expect(old.some((q) => q.part)).toBe(true);
    for (const q of old) await stores.savedSearches.put(q.id, toSavedSearch(q, 'ThreatFox').body);
    const oldDns = huntingQueryId(NSM, 'DnsEvents');
    expect(arm.savedSearches.has(huntingQueryId(NSM, 'DnsEvents', 2))).toBe(true);

    const result = await publish(manyIocs(400), stores, OPTIONS);
    expect(result.failures).toEqual([]);
    const ids = [...arm.savedSearches.keys()];
    expect(ids.filter((id) => /-part\d+$/.test(id))).toEqual([]);
    expect(result.huntingQueries.deleted).toBe(old.filter((q) => q.part && q.part.index > 1).length);
    expect(arm.savedSearches.get(oldDns)!.properties.query).toContain('ThreatIntelIndicators');
  }, 60_000);
});
