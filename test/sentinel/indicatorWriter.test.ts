import type { SavedSearch } from '@azure/arm-operationalinsights';
import { parseAllowlist } from '../../lib/ioc/benign';
import type { Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';
import { toIndicator } from '../support/indicators';
import { huntingQueryId } from '../../lib/kql/huntingQuery';
import { generatedForFamilies, GENERATOR_TAG } from '../../lib/sentinel/savedSearch';
import { syncIndicators } from '../../lib/sentinel/indicatorWriter';
import { syncSavedSearches } from '../../lib/sentinel/savedSearchWriter';
import { startArmFake, type ArmFake, type RecordedArmRequest } from '../fakes/armServer';
import { connect, type Connected } from './harness';

const NOW = new Date('2026-06-21T00:00:00Z');
const OPTS = { source: 'ThreatFox', ttlDays: 30, concurrency: 4, now: NOW };

const family: Partial<Ioc> = {
  malware: 'win.netsupportmanager_rat',
  malwarePrintable: 'NetSupportManager RAT',
  confidence: 100,
  reporter: 'abuse_ch',
  tags: ['NetSupport'],
};
const ioc = (o: Partial<Ioc> & Pick<Ioc, 'type' | 'value'>): Ioc =>
  withHuntedHost({
    ...family,
    threatType: 'payload_delivery',
    firstSeen: '2026-06-20T10:00:00Z',
    lastSeen: '2026-06-20T12:00:00Z',
    ...o,
  });

/** The seed report's IOCs, one IP on two ports, a hash and a hostile URL. */
const FEED: Ioc[] = [
  ioc({ type: 'domain', value: 'node54group.com', threatType: 'botnet_cc', threatfoxId: '1' }),
  ioc({ type: 'domain', value: 'node66group.pro', threatType: 'botnet_cc', threatfoxId: '2' }),
  ioc({ type: 'url', value: 'http://google2oauth.com/google.txt', threatfoxId: '3' }),
  ioc({ type: 'ipv4', value: '91.92.34.228', port: 80, threatfoxId: '4' }),
  ioc({ type: 'ipv4', value: '91.92.34.228', port: 443, threatfoxId: '5' }),
  ioc({
    type: 'sha256',
    value: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
    threatType: 'payload',
    threatfoxId: '6',
  }),
  ioc({ type: 'url', value: 'http://evil.example/a\'b\\c?q="x"', threatfoxId: '7' }),
];
const PATTERNS = 6;

const search = (id: string, query: string): { id: string; body: SavedSearch } => ({
  id,
  body: {
    category: 'Hunting Queries',
    displayName: `ThreatFox – NetSupportManager RAT – ${id}`,
    query,
    tags: [
      { name: 'description', value: 'Hunts NetSupportManager RAT IOCs from ThreatFox.' },
      { name: 'tactics', value: 'CommandAndControl' },
    ],
    version: 2,
  },
});
const SEARCHES = [
  search('threatfox-netsupportmanager-rat-dnsevents', 'DnsEvents | where Name in ("node54group.com")'),
  search(
    'threatfox-netsupportmanager-rat-commonsecuritylog',
    'CommonSecurityLog | where DestinationIP in ("91.92.34.228")',
  ),
];

const tiRequests = (fake: ArmFake) =>
  fake.requests.filter((r) => r.operation !== 'savedSearch' && r.operation !== 'listSavedSearches');
const describeReq = (r: RecordedArmRequest) => `${r.method} ${r.operation} ${r.status}`;

describe('syncIndicators / syncSavedSearches against the fake ARM', () => {
  let fake: ArmFake;
  let arm: Connected;

  beforeEach(async () => {
    fake = await startArmFake();
    arm = connect(fake);
  });
  afterEach(async () => {
    // Every request the writer made, and every answer, kept to the vendored OpenAPI documents.
    expect(fake.contractViolations).toEqual([]);
    await fake.close();
  });

  it('first sync creates one indicator per pattern and the saved searches; the second writes nothing', async () => {
    const first = await syncIndicators(arm.indicators, FEED, OPTS);
    expect(first.failures).toEqual([]);
    expect(first.counts).toEqual({ created: PATTERNS, updated: 0, unchanged: 0, deleted: 0, failed: 0 });
    expect(fake.indicators.size).toBe(PATTERNS);
    const ip = [...fake.indicators.values()].find((i) => i.properties.pattern === "[ipv4-addr:value = '91.92.34.228']");
    expect(ip?.properties.labels).toEqual(expect.arrayContaining(['port:80', 'port:443']));
    const hostile = [...fake.indicators.values()].find((i) => String(i.properties.pattern).includes('evil.example'));
    expect(hostile?.properties.pattern).toBe("[url:value = 'http://evil.example/a\\'b\\\\c?q=\"x\"']");

    const ss = await syncSavedSearches(arm.savedSearches, SEARCHES, { concurrency: 4 });
    expect(ss).toEqual({ counts: { created: 2, updated: 0, unchanged: 0, deleted: 0, failed: 0 }, failures: [] });
    expect(fake.savedSearches.get(SEARCHES[0].id)?.properties).toMatchObject({
      category: 'Hunting Queries',
      query: SEARCHES[0].body.query,
    });

    // Every TI call used the stable api-version, every saved-search call 2020-08-01, all with the bearer token.
    expect(new Set(tiRequests(fake).map((r) => r.query['api-version']))).toEqual(new Set(['2025-09-01']));
    expect(
      new Set(fake.requests.filter((r) => r.operation === 'savedSearch').map((r) => r.query['api-version'])),
    ).toEqual(new Set(['2020-08-01']));
    expect(fake.requests.every((r) => r.status !== 401)).toBe(true);
    expect(new Set(arm.credential.scopes)).toEqual(new Set([`${fake.url}/.default`]));

    fake.clearRequests();
    const second = await syncIndicators(arm.indicators, FEED, OPTS);
    const ss2 = await syncSavedSearches(arm.savedSearches, SEARCHES, { concurrency: 4 });
    expect(fake.writes().map(describeReq)).toEqual([]);
    expect(second.counts).toEqual({ created: 0, updated: 0, unchanged: PATTERNS, deleted: 0, failed: 0 });
    expect(ss2.counts).toEqual({ created: 0, updated: 0, unchanged: 2, deleted: 0, failed: 0 });
    // The reads: one queryIndicators page, the metrics that vouch for it, and one saved-search list.
    expect(fake.requests.map((r) => `${r.method} ${r.operation}`)).toEqual([
      'POST queryIndicators',
      'GET metrics',
      'GET listSavedSearches',
    ]);
  });

  it('a newer last seen is one PUT on the same indicator, never a duplicate', async () => {
    await syncIndicators(arm.indicators, FEED, OPTS);
    const name = [...fake.indicators.values()].find(
      (i) => i.properties.pattern === "[domain-name:value = 'node54group.com']",
    )!.name;
    fake.clearRequests();

    const later = FEED.map((i) =>
      i.value === 'node54group.com' ? { ...i, lastSeen: '2026-06-28T00:00:00Z', confidence: 80 } : i,
    );
    const result = await syncIndicators(arm.indicators, later, OPTS);

    expect(result.counts).toEqual({ created: 0, updated: 1, unchanged: PATTERNS - 1, deleted: 0, failed: 0 });
    expect(fake.writes().map((r) => `${r.method} ${r.path.split('/').pop()}`)).toEqual([`PUT ${name}`]);
    expect(fake.indicators.size).toBe(PATTERNS);
    const updated = fake.indicators.get(name)!.properties;
    expect(Date.parse(String(updated.validUntil))).toBe(Date.parse('2026-07-28T00:00:00Z'));
    expect(Date.parse(String(updated.validFrom))).toBe(Date.parse('2026-06-20T10:00:00Z'));
    expect(updated.confidence).toBe(80);
  });

  it("never labels a URL's host for hunting once the tenant allow-lists it, and takes the label off one written before", async () => {
    const url = FEED.filter((i) => i.value === 'http://google2oauth.com/google.txt');
    const huntHosts = () =>
      [...fake.indicators.values()].flatMap((i) =>
        ((i.properties.labels as string[] | undefined) ?? []).filter((l) => l.startsWith('hunt-host:')),
      );
    await syncIndicators(arm.indicators, url, OPTS);
    expect(huntHosts()).toEqual(['hunt-host:google2oauth.com']);

    // The next run normalises the URL with the host allow-listed: it carries no hunted host.
    const allow = parseAllowlist('google2oauth.com').allowlist;
    const allowed = url.map(({ huntedHost: _, ...i }) => withHuntedHost(i, allow));
    const result = await syncIndicators(arm.indicators, allowed, OPTS);
    expect(result.counts).toEqual({ created: 0, updated: 1, unchanged: 0, deleted: 0, failed: 0 });
    expect(fake.indicators.size).toBe(1);
    expect(huntHosts()).toEqual([]);
  });

  it('removes the duplicate a retried create left behind, in the same run', async () => {
    // The first create of the domain takes effect but its answer is lost: the SDK retries the POST.
    fake.failNext({
      status: 503,
      afterEffect: true,
      match: (r) => r.operation === 'createIndicator' && JSON.stringify(r.body).includes('node66group.pro'),
    });
    const first = await syncIndicators(arm.indicators, FEED, OPTS);
    const copies = () =>
      [...fake.indicators.values()].filter((i) => String(i.properties.pattern).includes('node66group.pro'));
    expect(copies()).toHaveLength(1);
    expect(first.counts).toEqual({ created: PATTERNS, updated: 0, unchanged: 0, deleted: 1, failed: 0 });
    expect(fake.indicators.size).toBe(PATTERNS);

    fake.clearRequests();
    const second = await syncIndicators(arm.indicators, FEED, OPTS);
    expect(second.counts).toEqual({ created: 0, updated: 0, unchanged: PATTERNS, deleted: 0, failed: 0 });
    expect(fake.writes()).toEqual([]);
  });

  it('folds what a duplicate carries (another family) into the one it keeps before deleting it', async () => {
    const domain = 'shared-c2.example.net';
    // Two families' batches created the same observable at once: one indicator each.
    for (const malware of ['win.alpha_rat', 'win.bravo_rat']) {
      fake.seedIndicator(
        toIndicator(
          ioc({
            type: 'domain',
            value: domain,
            malware,
            malwarePrintable: malware,
            threatfoxId: malware.length.toString(),
          }),
          OPTS,
        ),
      );
    }
    const result = await syncIndicators(
      arm.indicators,
      [ioc({ type: 'domain', value: domain, malware: 'win.alpha_rat', malwarePrintable: 'win.alpha_rat' })],
      OPTS,
    );
    expect(result.counts).toMatchObject({ deleted: 1, failed: 0 });
    const left = [...fake.indicators.values()].filter((i) => String(i.properties.pattern).includes(domain));
    expect(left).toHaveLength(1);
    expect(left[0].properties.labels).toEqual(
      expect.arrayContaining(['malware:win.alpha_rat', 'malware:win.bravo_rat']),
    );
    // The keeper was updated before the duplicate went.
    expect(fake.writes().map((r) => r.method)).toEqual(['PUT', 'DELETE']);
  });

  it('lands everything through a 429 storm, waiting for Retry-After', async () => {
    fake.failNext({ status: 429, times: 6, retryAfterSeconds: 1, match: (r) => r.operation === 'createIndicator' });
    const started = Date.now();
    const result = await syncIndicators(arm.indicators, FEED, OPTS);
    expect(result.failures).toEqual([]);
    expect(result.counts.created).toBe(PATTERNS);
    expect(fake.indicators.size).toBe(PATTERNS);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('retries a one-off 503 on a saved search and on a read', async () => {
    fake.failNext({ status: 503, match: (r) => r.operation === 'queryIndicators' });
    fake.failNext({ status: 503, match: (r) => r.operation === 'savedSearch' });
    const result = await syncIndicators(arm.indicators, FEED, OPTS);
    const ss = await syncSavedSearches(arm.savedSearches, SEARCHES, { concurrency: 2 });
    expect(result.counts.created).toBe(PATTERNS);
    expect(ss.counts.created).toBe(2);
    expect(fake.requests.filter((r) => r.status === 503)).toHaveLength(2);
    expect(fake.savedSearches.size).toBe(2);
  });

  it('reports a permanently failing item and lands the others', async () => {
    fake.failAlways({
      status: 500,
      match: (r) => r.operation === 'createIndicator' && JSON.stringify(r.body).includes('node54group.com'),
    });
    fake.failAlways({
      status: 400,
      code: 'BadRequest',
      message: 'query rejected',
      match: (r) => r.operation === 'savedSearch' && r.path.endsWith('dnsevents'),
    });
    const progress: [number, number][] = [];
    const result = await syncIndicators(arm.indicators, FEED, { ...OPTS, onProgress: (d, t) => progress.push([d, t]) });
    const ss = await syncSavedSearches(arm.savedSearches, SEARCHES, { concurrency: 2 });

    expect(result.counts).toEqual({ created: PATTERNS - 1, updated: 0, unchanged: 0, deleted: 0, failed: 1 });
    expect(result.failures).toEqual([
      { kind: 'indicator', key: 'domain:node54group.com', error: expect.stringContaining('HTTP 500') },
    ]);
    expect(ss.failures).toEqual([
      { kind: 'huntingQuery', key: SEARCHES[0].id, error: expect.stringContaining('query rejected') },
    ]);
    expect(ss.counts).toMatchObject({ created: 1, failed: 1 });
    // 1 try + 6 retries for the failing create; the others once each.
    expect(fake.requests.filter((r) => r.status === 500)).toHaveLength(7);
    expect(progress[progress.length - 1]).toEqual([PATTERNS, PATTERNS]);
    expect([...fake.indicators.values()].some((i) => String(i.properties.pattern).includes('node54group.com'))).toBe(
      false,
    );
  });

  it('reads every page of ours and leaves other sources alone', async () => {
    const paged = await startArmFake({ maxPageSize: 2 });
    try {
      const store = connect(paged).indicators;
      const foreign = paged.seedIndicator({
        ...toIndicator(FEED[0], { ...OPTS }),
        source: 'Microsoft Defender Threat Intelligence',
      });
      const older = paged.seedIndicator(
        toIndicator(ioc({ type: 'domain', value: 'older.example', threatfoxId: '90' }), OPTS),
      );
      const expired = paged.seedIndicator(
        toIndicator(
          ioc({
            type: 'domain',
            value: 'expired.example',
            firstSeen: '2026-01-01T00:00:00Z',
            lastSeen: '2026-01-02T00:00:00Z',
          }),
          OPTS,
        ),
      );

      await syncIndicators(store, FEED, OPTS);
      paged.clearRequests();
      const again = await syncIndicators(store, FEED, OPTS);

      expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: PATTERNS, deleted: 0, failed: 0 });
      const queries = paged.requests.filter((r) => r.operation === 'queryIndicators');
      expect(queries.length).toBe(Math.ceil((PATTERNS + 2) / 2));
      expect(
        queries.every((r) => r.method === 'POST' && (r.body as { sources: string[] }).sources[0] === 'ThreatFox'),
      ).toBe(true);
      expect(queries.slice(1).every((r) => typeof (r.body as { skipToken?: string }).skipToken === 'string')).toBe(
        true,
      );
      expect(paged.indicators.has(foreign)).toBe(true);
      expect(paged.indicators.has(older)).toBe(true);
      expect(paged.indicators.has(expired)).toBe(true);
    } finally {
      await paged.close();
    }
  });

  it('writes nothing when the token is refused', async () => {
    const wrong = connect(fake, {}, 'not-the-token');
    await expect(syncIndicators(wrong.indicators, FEED, OPTS)).rejects.toMatchObject({ statusCode: 401 });
    expect(fake.indicators.size).toBe(0);
    expect(fake.requests.every((r) => r.status === 401)).toBe(true);
  });

  it('a changed query is one PUT carrying the current etag', async () => {
    await syncSavedSearches(arm.savedSearches, SEARCHES, { concurrency: 2 });
    const etag = fake.savedSearches.get(SEARCHES[1].id)!.etag;
    fake.clearRequests();
    const changed = [
      SEARCHES[0],
      { ...SEARCHES[1], body: { ...SEARCHES[1].body, query: 'CommonSecurityLog | take 1' } },
    ];
    const result = await syncSavedSearches(arm.savedSearches, changed, { concurrency: 2 });
    expect(result.counts).toEqual({ created: 0, updated: 1, unchanged: 1, deleted: 0, failed: 0 });
    const puts = fake.writes();
    expect(puts).toHaveLength(1);
    expect(puts[0].body).toMatchObject({ etag, properties: { query: 'CommonSecurityLog | take 1' } });
    expect(fake.savedSearches.get(SEARCHES[1].id)?.properties.query).toBe('CommonSecurityLog | take 1');
  });

  it('deletes the stale searches it owns (a part that is no longer produced) and nothing else', async () => {
    const ours = (id: string, family: string) => {
      const s = search(id, 'DnsEvents | take 1');
      s.body.tags = [...(s.body.tags ?? []), { ...GENERATOR_TAG }, { name: 'family', value: family }];
      return s;
    };
    const stalePart = ours(huntingQueryId('win.netsupportmanager_rat', 'DnsEvents', 3), 'win.netsupportmanager_rat');
    const otherFamily = ours(huntingQueryId('win.remcos', 'DnsEvents'), 'win.remcos');
    const analysts = search('my-own-hunt', 'DnsEvents | take 1');
    const analystsCopy = ours('copy-of-netsupport-dns', 'win.netsupportmanager_rat'); // tags copied, id not ours
    await syncSavedSearches(arm.savedSearches, [stalePart, otherFamily, analysts, analystsCopy], { concurrency: 2 });
    fake.clearRequests();

    const wanted = [ours(huntingQueryId('win.netsupportmanager_rat', 'DnsEvents'), 'win.netsupportmanager_rat')];
    const owns = generatedForFamilies(new Set(['win.netsupportmanager_rat']));
    const result = await syncSavedSearches(arm.savedSearches, wanted, { concurrency: 2, owns });
    expect(result.counts).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 1, failed: 0 });
    expect(
      fake
        .writes()
        .map((w) => `${w.method} ${w.path.split('/').pop()}`)
        .sort(),
    ).toEqual([`PUT ${wanted[0].id}`, `DELETE ${stalePart.id}`].sort());
    expect([...fake.savedSearches.keys()].sort()).toEqual(
      [wanted[0].id, otherFamily.id, analysts.id, analystsCopy.id].sort(),
    );
  });

  it('never has more writes in flight than the configured concurrency', async () => {
    const slow = await startArmFake({ latencyMs: 25 });
    try {
      const many: Ioc[] = Array.from({ length: 40 }, (_, i) =>
        ioc({ type: 'domain', value: `c${i}.example.net`, threatfoxId: String(100 + i) }),
      );
      const result = await syncIndicators(connect(slow).indicators, many, {
        source: 'ThreatFox',
        ttlDays: 30,
        concurrency: 3,
        now: NOW,
      });
      expect(result.counts.created).toBe(40);
      expect(slow.maxInFlight()).toBe(3);
    } finally {
      await slow.close();
    }
  });
});
