import type { SavedSearch } from '@azure/arm-operationalinsights';
import { loadSettings, type Settings } from '../../lib/config';
import type { SyncInput } from '../../lib/collect';
import { runSync } from '../../lib/pipeline';
import { runLifecycle, type LifecycleRequest } from '../../lib/sentinel/lifecycle';
import { ThreatFoxClient } from '../../lib/threatfox/client';
import { startArmFake, type ArmFake, type IndicatorResource } from '../fakes/armServer';
import {
  COBALT_STRIKE,
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { connect, type Connected } from './harness';

/** The indicator lifecycle against the fakes: withdrawn IOCs revoked, removed families cleaned up, analysts' decisions kept. */
describe('indicator lifecycle', () => {
  let arm: ArmFake;
  let tf: ThreatFoxFake;
  let stores: Connected;
  const settings: Pick<Settings, 'allowlist' | 'sentinel'> = loadSettings({});
  settings.sentinel.source = 'ThreatFox';
  const both: SyncInput = {
    kind: 'threatfox',
    mode: 'full',
    malware: [NETSUPPORT, COBALT_STRIKE],
    days: 1,
    limit: 1000,
  };
  const client = (timeoutMs = 5000) =>
    new ThreatFoxClient({ apiUrl: tf.url, authKey: FAKE_AUTH_KEY, maxRetries: 0, timeoutMs, retryBaseDelayMs: 1 });

  const sync = (input: SyncInput = both) =>
    runSync(input, { settings, threatfox: client(), stores: [stores], now: SEED_NOW }, { dryRun: false });
  /** THREATFOX_MALWARE set explicitly (`familyCleanup`) unless told otherwise. */
  const lifecycle = (
    request: LifecycleRequest,
    sentinel: Settings['sentinel'] = { ...settings.sentinel, familyCleanup: true },
  ) => runLifecycle([stores], request, sentinel, { now: SEED_NOW });
  const reconcile = (budget = 1000, extra: { deadlineAt?: number; timeoutMs?: number; now?: Date } = {}) =>
    runLifecycle(
      [stores],
      { reconcile: { source: client(extra.timeoutMs), budget, deadlineAt: extra.deadlineAt } },
      settings.sentinel,
      { now: extra.now ?? SEED_NOW },
    );

  /** ThreatFox ids asked with the `ioc` query, in order. */
  const asked = () =>
    tf.requests.flatMap((r) => {
      const body = r.body as { query?: string; id?: number };
      return body.query === 'ioc' ? [String(body.id)] : [];
    });
  const byThreatFoxId = (id: string): IndicatorResource =>
    [...arm.indicators.values()].find((i) =>
      (i.properties.externalReferences as { externalId?: string }[]).some((r) => r.externalId === id),
    )!;
  const revoked = () => [...arm.indicators.values()].filter((i) => i.properties.revoked === true);
  const indicatorPuts = () => arm.writes().filter((w) => w.method === 'PUT' && w.operation === 'indicator');

  beforeEach(async () => {
    arm = await startArmFake();
    tf = await startThreatFoxFake({ now: SEED_NOW });
    stores = connect(arm);
    await sync();
    tf.requests.length = 0;
    arm.clearRequests();
  });
  afterEach(() => Promise.all([arm.close(), tf.close()]));

  it('revokes an IOC ThreatFox withdrew, keeps everything else on it, and confirms the others', async () => {
    const before = structuredClone(byThreatFoxId('1580112').properties);
    tf.removeIoc('1580112');
    const done = await reconcile();
    const total = arm.indicators.size;
    expect(done.reconcile).toEqual({ confirmed: total - 1, revoked: 1, lookupFailed: 0, notChecked: 0, failed: 0 });
    expect(revoked().map((i) => i.properties.pattern)).toEqual(["[domain-name:value = 'node54group.com']"]);
    const after = byThreatFoxId('1580112').properties;
    for (const key of ['displayName', 'description', 'labels', 'validUntil', 'externalReferences', 'confidence'])
      expect(after[key]).toEqual(before[key]);
    // Each confirmed one remembers the day, so the next run starts with the others.
    expect(byThreatFoxId('1580075').properties.labels).toContainEqual(
      expect.stringMatching(/^threatfox-confirmed:2026-06-21:[0-9a-f]{12}$/),
    );
    expect(new Set(asked()).size).toBe(asked().length);
  });

  it('keeps to the budget, oldest-confirmed first, and a run cut short resumes where it stopped', async () => {
    const total = arm.indicators.size;
    const first = await reconcile(5);
    expect(first.reconcile).toMatchObject({ confirmed: 5, notChecked: total - 5 });
    expect(asked()).toHaveLength(5);
    const firstAsked = asked();

    // The run deadline passes after two slow answers: the rest are left for the next run.
    tf.requests.length = 0;
    tf.enqueue({ delayMs: 300 }, { delayMs: 300 }, { delayMs: 300 });
    const cut = await reconcile(1000, { deadlineAt: Date.now() + 450 });
    const reached = cut.reconcile!.confirmed;
    expect(reached).toBeGreaterThanOrEqual(1);
    expect(reached).toBeLessThanOrEqual(3);
    expect(cut.reconcile!.notChecked).toBe(total - reached);
    const cutAsked = asked();
    expect(cutAsked.filter((id) => firstAsked.includes(id))).toEqual([]);

    tf.requests.length = 0;
    const rest = await reconcile();
    expect(rest.reconcile).toMatchObject({ confirmed: total, notChecked: 0 });
    // Those never confirmed went first.
    const never = asked().slice(0, total - 5 - reached);
    expect(never.filter((id) => [...firstAsked, ...cutAsked].includes(id))).toEqual([]);
  });

  it('a look-up that 429s, answers garbage or hangs changes nothing and is counted; ThreatFox is then left alone', async () => {
    tf.removeIoc('1580112');
    tf.enqueue(
      { status: 429, headers: { 'Retry-After': '1' }, body: { error: 'Too many requests' } },
      { status: 200, body: '<html>maintenance</html>' },
      { delayMs: 1500 },
    );
    const done = await reconcile(1000, { timeoutMs: 1000 });
    expect(done.reconcile).toEqual({
      confirmed: 0,
      revoked: 0,
      lookupFailed: 3,
      notChecked: arm.indicators.size - 3,
      failed: 0,
    });
    expect(revoked()).toEqual([]);
    expect(indicatorPuts()).toEqual([]);
  });

  it('an answer that is another record is no proof either way', async () => {
    tf.enqueue({ status: 200, body: { query_status: 'ok', data: { id: '1', ioc: 'other.example' } } });
    const done = await reconcile(1);
    expect(done.reconcile).toMatchObject({ lookupFailed: 1, revoked: 0, confirmed: 0 });
    expect(indicatorPuts()).toEqual([]);
  });

  it('an "ok" answer without the record (an empty list) is a failed look-up, never a withdrawal', async () => {
    tf.enqueue({ status: 200, body: { query_status: 'ok', data: [] } });
    const done = await reconcile(1);
    expect(done.reconcile).toMatchObject({ lookupFailed: 1, revoked: 0, confirmed: 0 });
    expect(revoked()).toEqual([]);
    expect(indicatorPuts()).toEqual([]);
  });

  it('odd answers about single IOCs do not stop the run: only ThreatFox failing does', async () => {
    const other = { status: 200, body: { query_status: 'ok', data: { id: '1', ioc: 'other.example' } } };
    tf.enqueue(other, other, other, other);
    const done = await reconcile(1000);
    expect(done.reconcile).toMatchObject({ lookupFailed: 4, revoked: 0, notChecked: 0 });
    expect(done.reconcile?.confirmed).toBe(arm.indicators.size - 4);
  });

  it('revoking is idempotent: a PUT that landed but answered an error writes nothing more on the next run', async () => {
    tf.removeIoc('1580112');
    arm.failNext({
      match: (r) =>
        r.method === 'PUT' && r.operation === 'indicator' && JSON.stringify(r.body).includes('"revoked":true'),
      afterEffect: true,
      status: 500,
    });
    await reconcile();
    expect(revoked()).toHaveLength(1);
    arm.clearRequests();
    const again = await reconcile();
    expect(arm.writes()).toEqual([]);
    expect(again.reconcile).toMatchObject({ revoked: 0, lookupFailed: 0 });
  });

  it("an analyst's revocation survives every run, and an indicator an analyst changed or pasted is never revoked", async () => {
    await reconcile(); // every indicator confirmed once: the fingerprint an analyst's later edit breaks
    tf.requests.length = 0;
    const analystRevoked = byThreatFoxId('1580075');
    analystRevoked.properties.revoked = true;
    const tagged = byThreatFoxId('1579816');
    tagged.properties.threatIntelligenceTags = ['case-4711'];
    const edited = byThreatFoxId('1579779');
    edited.properties.confidence = 10;
    for (const id of ['1580112', '1579816', '1579779']) tf.removeIoc(id);
    await sync({ kind: 'document', text: 'pasted-c2-panel.com\n', family: NETSUPPORT });
    tf.requests.length = 0;

    const done = await reconcile(1000, { now: new Date('2026-06-22T00:00:00Z') });
    await sync();
    expect(done.reconcile!.revoked).toBe(1);
    expect(arm.indicators.get(analystRevoked.name)!.properties.revoked).toBe(true);
    expect(arm.indicators.get(tagged.name)!.properties.revoked).toBe(false);
    expect(arm.indicators.get(edited.name)!.properties.revoked).toBe(false);
    // Not asked: the revoked one, the two an analyst changed, and the pasted one (no ThreatFox id).
    for (const id of ['1580075', '1579816', '1579779']) expect(asked()).not.toContain(id);
    const pasted = [...arm.indicators.values()].find((i) =>
      String(i.properties.pattern).includes('pasted-c2-panel.com'),
    );
    expect(pasted?.properties.labels).toContain('submitted-by-hand');
    expect(asked()).toHaveLength(arm.indicators.size - 4);
  });

  it('removing a family deletes exactly its hunting queries, never an analyst’s own saved search', async () => {
    const ids = () => [...arm.savedSearches.keys()].sort();
    const cobalt = ids().filter((id) => id.startsWith('threatfox-win-cobalt-strike-'));
    const netsupport = ids().filter((id) => id.startsWith('threatfox-win-netsupportmanager-rat-'));
    expect(cobalt.length).toBeGreaterThan(0);
    const [copied] = cobalt;
    const copy = arm.savedSearches.get(copied)!.properties;
    await stores.savedSearches.put('my-cobalt-hunt', { ...(copy as unknown as SavedSearch), displayName: 'My copy' });
    await stores.savedSearches.put('analyst-hunt', {
      category: 'Hunting Queries',
      displayName: 'Mine',
      query: 'DnsEvents | take 1',
      tags: [{ name: 'family', value: COBALT_STRIKE }],
    });

    const oneOff = await lifecycle({});
    expect(oneOff.huntingQueriesRemoved).toEqual({});
    const done = await lifecycle({ configuredFamilies: [NETSUPPORT] });
    expect(done.huntingQueriesRemoved).toEqual({ [COBALT_STRIKE]: cobalt.length });
    expect(ids()).toEqual([...netsupport, 'analyst-hunt', 'my-cobalt-hunt'].sort());
    // Its indicators are left to expire.
    expect(revoked()).toEqual([]);
  });

  it('leaves the queries another deployment (another INDICATOR_SOURCE) or an older version wrote', async () => {
    const ids = () => [...arm.savedSearches.keys()].sort();
    const cobalt = ids().filter((id) => id.startsWith('threatfox-win-cobalt-strike-'));
    expect(cobalt.length).toBeGreaterThan(1);
    const [theirs, older] = cobalt;
    const retag = async (
      id: string,
      tags: (t: { name: string; value: string }[]) => { name: string; value: string }[],
    ) => {
      const body = arm.savedSearches.get(id)!.properties as unknown as SavedSearch;
      await stores.savedSearches.put(id, {
        ...body,
        etag: '*',
        tags: tags(body.tags as { name: string; value: string }[]),
      });
    };
    // Deployment B (INDICATOR_SOURCE ThreatFox-B) wrote one; one predates the owner tag.
    await retag(theirs, (tags) => tags.map((t) => (t.name === 'source' ? { ...t, value: 'ThreatFox-B' } : t)));
    await retag(older, (tags) => tags.filter((t) => t.name !== 'source'));

    const done = await lifecycle({ configuredFamilies: [NETSUPPORT] });
    expect(done.huntingQueriesRemoved).toEqual({ [COBALT_STRIKE]: cobalt.length - 2 });
    expect(ids().filter((id) => id.startsWith('threatfox-win-cobalt-strike-'))).toEqual([theirs, older].sort());
  });

  it('removes nothing when THREATFOX_MALWARE is not set (the built-in default list)', async () => {
    const before = [...arm.savedSearches.keys()].sort();
    const done = await lifecycle({ configuredFamilies: [NETSUPPORT] }, loadSettings({}).sentinel);
    expect(done.huntingQueriesRemoved).toEqual({});
    expect([...arm.savedSearches.keys()].sort()).toEqual(before);
    expect(arm.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
  });
});
