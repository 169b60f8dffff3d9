import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { Ioc } from '../../lib/ioc/types';
import { RUN_DEADLINE, withRunDeadline } from '../../lib/net/deadline';
import { retryAfterCapPolicy } from '../../lib/net/retryAfterCapPolicy';
import { toIndicator } from '../support/indicators';
import { syncIndicators } from '../../lib/sentinel/indicatorWriter';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { startTiUploadFake } from '../fakes/tiUploadServer';
import { capturedLogs } from '../support/logs';
import { connect } from './harness';
import { connectUpload } from './uploadHarness';

/** The ARM-side faults of issue 9, each against the fake ARM through the real SDK clients. */

const NOW = new Date('2026-06-21T00:00:00Z');
const OPTS = { source: 'ThreatFox', ttlDays: 30, concurrency: 4, now: NOW };
const ioc = (value: string, threatfoxId: string): Ioc => ({
  type: 'domain',
  value,
  threatfoxId,
  malware: 'win.netsupportmanager_rat',
  malwarePrintable: 'NetSupportManager RAT',
  threatType: 'botnet_cc',
  confidence: 100,
  firstSeen: '2026-06-20T10:00:00Z',
  lastSeen: '2026-06-20T12:00:00Z',
});
const FEED = Array.from({ length: 7 }, (_, i) => ioc(`c2-${i}.example.net`, String(i + 1)));
/** An indicator of ours as an earlier run left it, `minutesAgo` ago (by the real clock, which the fake ARM keeps). */
const earlier = (i: Ioc, minutesAgo = 60) => ({
  ...toIndicator(i, OPTS),
  created: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
});
const requestsOf = (fake: ArmFake, operation: string) => fake.requests.filter((r) => r.operation === operation);
const isCreateOf = (value: string) => (r: { operation: string; body: unknown }) =>
  r.operation === 'createIndicator' && JSON.stringify(r.body).includes(value);
const copiesByPattern = (fake: ArmFake) => {
  const out = new Map<string, number>();
  for (const i of fake.indicators.values())
    out.set(String(i.properties.pattern), (out.get(String(i.properties.pattern)) ?? 0) + 1);
  return out;
};

describe('ARM faults', () => {
  let fake: ArmFake;
  afterEach(() => fake?.close());

  describe('a request that never answers (item 2)', () => {
    it('times out per attempt, is retried, then counted as failed; the others land', async () => {
      fake = await startArmFake();
      fake.failAlways({ hang: true, match: isCreateOf('c2-3.example.net') });
      const arm = connect(fake, { requestTimeoutMs: 1000, maxRetries: 2 });
      const result = await syncIndicators(arm.indicators, FEED, OPTS);
      expect(result.counts).toEqual({ created: FEED.length - 1, updated: 0, unchanged: 0, deleted: 0, failed: 1 });
      expect(result.failures).toEqual([
        {
          kind: 'indicator',
          key: 'domain:c2-3.example.net',
          error: expect.stringContaining('timed out after 1000 ms'),
        },
      ]);
      // First try and two retries, none answered.
      expect(fake.requests.filter(isCreateOf('c2-3.example.net')).map((r) => r.status)).toEqual([0, 0, 0]);
    });

    it('the run deadline ends requests in flight and fails the rest, each counted', async () => {
      fake = await startArmFake();
      fake.failAlways({ hang: true, match: (r) => r.operation === 'createIndicator' });
      // The per-request timeout is far longer than the deadline: only the deadline can end this.
      const arm = connect(fake, { requestTimeoutMs: 600_000 });
      const result = await withRunDeadline({ seconds: 1 }, () =>
        syncIndicators(arm.indicators, FEED, { ...OPTS, concurrency: 2 }),
      );
      expect(result.counts).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 0, failed: FEED.length });
      const perItem = result.failures.filter((f) => f.key.startsWith('domain:'));
      expect(perItem).toHaveLength(FEED.length);
      expect(perItem.every((f) => f.error.includes(RUN_DEADLINE))).toBe(true);
      // Two were in flight when the deadline came; the others never went out.
      expect(fake.requests.filter((r) => r.operation === 'createIndicator')).toHaveLength(2);
      // The read-back after creating could not run either, and says so.
      expect(result.failures.filter((f) => f.key.startsWith('read-back'))).toHaveLength(1);
    });
  });

  describe('Retry-After is capped (item 2)', () => {
    it('lowers a long Retry-After (seconds, milliseconds or a date) to the cap, leaves a short one', async () => {
      const policy = retryAfterCapPolicy(5_000);
      const answer = (status: number, headers: Record<string, string>) =>
        policy.sendRequest(
          createPipelineRequest({ url: 'https://127.0.0.1/x' }),
          async (request): Promise<PipelineResponse> => ({
            request,
            status,
            headers: createHttpHeaders(headers),
          }),
        );
      const long = await answer(429, { 'retry-after': '90', 'x-ms-retry-after-ms': '90000' });
      expect(long.headers.get('retry-after')).toBe('5');
      expect(long.headers.get('x-ms-retry-after-ms')).toBe('5000');
      const date = await answer(503, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() });
      expect(date.headers.get('retry-after')).toBe('5');
      const short = await answer(429, { 'retry-after': '2' });
      expect(short.headers.get('retry-after')).toBe('2');
      const notThrottled = await answer(200, { 'retry-after': '90' });
      expect(notThrottled.headers.get('retry-after')).toBe('90');
    });

    it('a 429 asking for 90 s does not hold the run for 90 s', async () => {
      fake = await startArmFake();
      fake.failNext({ status: 429, retryAfterSeconds: 90, match: (r) => r.operation === 'createIndicator' });
      const arm = connect(fake, {}, fake.token, { maxRetryAfterMs: 100 });
      const result = await syncIndicators(arm.indicators, FEED, OPTS);
      expect(result.failures).toEqual([]);
      expect(result.counts.created).toBe(FEED.length);
      expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
    }, 20_000);
  });

  describe('paging glitches (item 3)', () => {
    const seeded = async (
      replay: NonNullable<NonNullable<Parameters<typeof startArmFake>[0]>['queryPaging']>['replay'],
    ) => {
      fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay } });
      for (const i of FEED) fake.seedIndicator(earlier(i));
      fake.clearRequests();
      return connect(fake);
    };

    it.each([
      ['the same skip token comes back (a page repeated)', { page: 2, as: 1 }, /skip token handed out twice/],
      ['an earlier page comes back (paging went backwards)', { page: 2, as: 0 }, /handed out twice|went backwards/],
    ])('%s: an error, and nothing is created or deleted', async (_what, replay, message) => {
      const arm = await seeded(replay);
      await expect(syncIndicators(arm.indicators, [...FEED, ioc('new.example.net', '99')], OPTS)).rejects.toMatchObject(
        {
          code: 'AZURE',
          message: expect.stringMatching(message),
        },
      );
      expect(fake.writes()).toEqual([]);
      expect(fake.indicators.size).toBe(FEED.length);
    });

    it('a listing that ends early (a last page without its nextLink): an error naming the counts, nothing created or deleted', async () => {
      const arm = await seeded({ page: 1, as: 1, dropNextLink: true });
      await expect(syncIndicators(arm.indicators, [...FEED, ioc('new.example.net', '99')], OPTS)).rejects.toMatchObject(
        {
          code: 'AZURE',
          message: expect.stringMatching(
            /ended early: the first read listed 4 indicators, a second read 7 .* metrics count 7; nothing was written/,
          ),
        },
      );
      expect(fake.writes()).toEqual([]);
      expect(fake.indicators.size).toBe(FEED.length);
      expect(requestsOf(fake, 'metrics')).toHaveLength(1);
    });

    it('the upload write path lists through the same check', async () => {
      fake = await startArmFake({ maxPageSize: 2, queryPaging: { replay: { page: 1, as: 1, dropNextLink: true } } });
      const upload = await startTiUploadFake(fake);
      try {
        for (const i of FEED) fake.seedIndicator(earlier(i));
        const stores = connectUpload(fake, upload);
        await expect(
          syncIndicators(stores.indicators, [...FEED, ioc('new.example.net', '99')], {
            ...OPTS,
            concurrency: stores.writeConcurrency ?? 4,
          }),
        ).rejects.toThrow(/ended early: the first read listed 4 indicators, a second read 7/);
        expect(upload.requests).toEqual([]);
        expect(fake.writes()).toEqual([]);
      } finally {
        await upload.close();
      }
    });
  });

  describe('the metrics that vouch for a listing (item 3)', () => {
    it('a healthy run right after our own deletes, the metrics still counting the deleted: it succeeds, with a warning', async () => {
      fake = await startArmFake({ maxPageSize: 2 });
      for (const i of FEED) fake.seedIndicator(earlier(i));
      for (const i of FEED.slice(0, 3)) fake.seedIndicator(earlier(i, 30)); // duplicates an earlier glitch left
      fake.snapshotMetrics(); // the service counts 10, and says so for a while
      const first = await syncIndicators(connect(fake).indicators, FEED, OPTS);
      expect(first).toEqual({ counts: { created: 0, updated: 0, unchanged: 7, deleted: 3, failed: 0 }, failures: [] });

      fake.clearRequests();
      const { logger, lines } = capturedLogs();
      const again = await syncIndicators(connect(fake).indicators, FEED, { ...OPTS, logger });
      expect(again).toEqual({ counts: { created: 0, updated: 0, unchanged: 7, deleted: 0, failed: 0 }, failures: [] });
      expect(fake.writes()).toEqual([]);
      // Read twice (the metrics said 10), both reads agree on 7, the metrics predate the read: lagging.
      expect(lines).toEqual([
        expect.objectContaining({ listed: 7, listedAgain: 7, metrics: 10, msg: expect.stringMatching(/lagging/) }),
      ]);
      expect(requestsOf(fake, 'metrics')).toHaveLength(1);
    });

    it('metrics computed before the read began vouch for nothing: the writer reads back after creating', async () => {
      fake = await startArmFake();
      fake.snapshotMetrics(new Date(Date.now() - 3_600_000)); // an hour old, counting none of ours
      const result = await syncIndicators(connect(fake).indicators, FEED, OPTS);
      expect(result.counts).toEqual({ created: FEED.length, updated: 0, unchanged: 0, deleted: 0, failed: 0 });
      expect(requestsOf(fake, 'queryIndicators')).toHaveLength(2);
    });

    it('fresh metrics that count no more than the read vouch for it: no read-back after clean creates', async () => {
      fake = await startArmFake();
      const result = await syncIndicators(connect(fake).indicators, FEED, OPTS);
      expect(result.counts.created).toBe(FEED.length);
      expect(requestsOf(fake, 'queryIndicators')).toHaveLength(1);
    });

    it('metrics that fail: the run goes on with a warning; one metrics request a run, none for the read-back', async () => {
      fake = await startArmFake();
      fake.failAlways({ status: 503, match: (r) => r.operation === 'metrics' });
      const { logger, lines } = capturedLogs();
      const result = await syncIndicators(connect(fake, { maxRetries: 1 }).indicators, FEED, { ...OPTS, logger });
      expect(result).toEqual({
        counts: { created: FEED.length, updated: 0, unchanged: 0, deleted: 0, failed: 0 },
        failures: [],
      });
      expect(lines).toEqual([
        expect.objectContaining({
          listed: 0,
          error: expect.stringContaining('503'),
          msg: expect.stringMatching(/metrics unavailable/),
        }),
      ]);
      // The first read's one request, tried twice (maxRetries 1). The read unvouched for, the
      // writer reads back although every create was answered; that read-back asks no metrics.
      expect(requestsOf(fake, 'metrics').map((r) => r.status)).toEqual([503, 503]);
      expect(requestsOf(fake, 'queryIndicators')).toHaveLength(2);
    });
  });

  describe('ghost writes (item 4)', () => {
    it.each([
      ['answered 503', { status: 503 }],
      ['cut off (connection reset)', { reset: true }],
    ])(
      'creates applied but %s leave no duplicate after the run, and the counts say what exists',
      async (_what, fault) => {
        fake = await startArmFake();
        for (const value of ['c2-1.example.net', 'c2-4.example.net', 'c2-6.example.net']) {
          fake.failNext({ ...fault, afterEffect: true, match: isCreateOf(value) });
        }
        const result = await syncIndicators(connect(fake).indicators, FEED, OPTS);
        expect([...copiesByPattern(fake).values()]).toEqual(FEED.map(() => 1));
        expect(result.counts).toEqual({ created: FEED.length, updated: 0, unchanged: 0, deleted: 3, failed: 0 });
        expect(result.failures).toEqual([]);

        fake.clearRequests();
        const again = await syncIndicators(connect(fake).indicators, FEED, OPTS);
        expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: FEED.length, deleted: 0, failed: 0 });
        expect(fake.writes()).toEqual([]);
      },
    );

    it('a create throttled (429) before it landed leaves no doubt: no read-back', async () => {
      fake = await startArmFake();
      fake.failNext({ status: 429, retryAfterSeconds: 0, times: 2, match: isCreateOf('c2-3.example.net') });
      const result = await syncIndicators(connect(fake).indicators, FEED, OPTS);
      expect(result.counts).toEqual({ created: FEED.length, updated: 0, unchanged: 0, deleted: 0, failed: 0 });
      expect(requestsOf(fake, 'createIndicator')).toHaveLength(FEED.length + 2);
      expect(requestsOf(fake, 'queryIndicators')).toHaveLength(1);
    });

    it('a create that failed every time but had landed is counted as created, once', async () => {
      fake = await startArmFake();
      fake.failAlways({ status: 503, afterEffect: true, match: isCreateOf('c2-2.example.net') });
      const result = await syncIndicators(connect(fake, { maxRetries: 2 }).indicators, FEED, OPTS);
      // Three attempts, three indicators made; two removed, the oldest kept.
      expect(copiesByPattern(fake).get("[domain-name:value = 'c2-2.example.net']")).toBe(1);
      expect(result.counts).toEqual({ created: FEED.length, updated: 0, unchanged: 0, deleted: 2, failed: 0 });
      expect(result.failures).toEqual([]);
    });
  });
});
