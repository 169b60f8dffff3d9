import { Writable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSyncError, type SyncError } from '../../lib/errors';
import { createLogger } from '../../lib/logger';
import { ThreatFoxClient, type ThreatFoxClientOptions } from '../../lib/threatfox/client';
import { pullFamilies } from '../../lib/threatfox/pullFamilies';
import { backoffDelay } from '../../lib/threatfox/retry';
import type { FetchResult, ThreatFoxSource } from '../../lib/threatfox/source';
import {
  COBALT_STRIKE,
  FAKE_AUTH_KEY,
  NETSUPPORT,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';

const NETSUPPORT_TOTAL = seedRecords().filter((r) => r.malware === NETSUPPORT).length; // 21
/** The seed IOCs first seen on 2026-06-19/20, within 2 days of the fake's clock. */
const NETSUPPORT_JUNE = 12;

let fake: ThreatFoxFake;
beforeEach(async () => {
  fake = await startThreatFoxFake({ knownMalware: ['win.empty_family'] });
});
afterEach(async () => {
  await fake.close();
});

function client(overrides: Partial<ThreatFoxClientOptions> = {}): ThreatFoxClient {
  return new ThreatFoxClient({
    apiUrl: fake.url,
    authKey: FAKE_AUTH_KEY,
    maxRetries: 3,
    retryBaseDelayMs: 5,
    timeoutMs: 5000,
    ...overrides,
  });
}

/** Runs `fn`, which must fail, and returns the SyncError it threw. */
async function failure(fn: () => Promise<unknown>): Promise<SyncError> {
  try {
    await fn();
  } catch (err) {
    if (isSyncError(err)) return err;
    throw err;
  }
  throw new Error('expected a SyncError, got success');
}

/** Everything an error could leak through: message, stack, cause chain, own properties. */
function everythingIn(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) parts.push(e.message, e.stack ?? '');
    try {
      parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e)));
    } catch {
      parts.push(String(e));
    }
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

describe('ThreatFoxClient against the fake ThreatFox API', () => {
  test('malwareinfo: POSTs the documented body with the Auth-Key and returns validated records', async () => {
    const result = await client().byMalware(NETSUPPORT, 1000);

    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.headers['auth-key']).toBe(FAKE_AUTH_KEY);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toEqual({ query: 'malwareinfo', malware: NETSUPPORT, limit: 1000 });

    expect(result.rejected).toEqual([]);
    expect(result.records).toHaveLength(NETSUPPORT_TOTAL);
    expect(new Set(result.records.map((r) => r.malware))).toEqual(new Set([NETSUPPORT]));
    const ip = result.records.find((r) => r.ioc === '91.92.34.228:80')!;
    expect(ip).toMatchObject({
      id: '1579705',
      ioc_type: 'ip:port',
      threat_type: 'payload_delivery',
      confidence_level: 100,
      first_seen: '2026-06-19T18:02:14Z',
      last_seen: undefined,
      tags: ['NetSupport'],
    });
  });

  test('malwareinfo: limit is sent and respected (ThreatFox answers newest first)', async () => {
    const { records } = await client().byMalware(NETSUPPORT, 3);
    expect(fake.requests[0].body).toMatchObject({ limit: 3 });
    expect(records.map((r) => r.id)).toEqual(['1580075', '1580112', '1579964']);
  });

  test('get_iocs: sends days and returns what ThreatFox first saw in that window, all families', async () => {
    const { records, rejected } = await client().recent(2);
    expect(fake.requests[0].body).toEqual({ query: 'get_iocs', days: 2 });
    expect(rejected).toEqual([]);
    expect(records.filter((r) => r.malware === NETSUPPORT)).toHaveLength(NETSUPPORT_JUNE);
    expect(records.filter((r) => r.malware === COBALT_STRIKE)).toHaveLength(3);
    expect(records.every((r) => r.first_seen >= '2026-06-19T00:00:00Z')).toBe(true);
  });

  test('no_result is an empty result, not an error', async () => {
    await expect(client().byMalware('win.empty_family', 100)).resolves.toEqual({ records: [], rejected: [] });
    fake.setNow(new Date('2030-01-01T00:00:00Z'));
    await expect(client().recent(7)).resolves.toEqual({ records: [], rejected: [] });
  });

  test('an unknown Auth-Key (HTTP 403 unknown_auth_key) is a config error naming THREATFOX_AUTH_KEY, without the key', async () => {
    const secret = 'not-a-real-key-5f2c9e7d41';
    const err = await failure(() => client({ authKey: secret }).byMalware(NETSUPPORT, 10));
    expect(err.code).toBe('CONFIG');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('THREATFOX_AUTH_KEY');
    expect(err.message).toContain('unknown_auth_key');
    expect(everythingIn(err)).not.toContain(secret);
    expect(fake.requests).toHaveLength(1); // never retried
  });

  test('HTTP 401 is a config error naming THREATFOX_AUTH_KEY, not retried', async () => {
    fake.enqueue({ status: 401, body: { error: 'Unauthorized' } });
    const err = await failure(() => client().recent(1));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toMatch(/THREATFOX_AUTH_KEY/);
    expect(err.message).toContain('HTTP 401');
    expect(fake.requests).toHaveLength(1);
  });

  test.each([
    ['no_api_key', /no Auth-Key/],
    ['user_blacklisted', /blacklisted/],
  ])('query_status %s (HTTP 200) is a config error naming THREATFOX_AUTH_KEY', async (status, wording) => {
    fake.enqueue({ status: 200, body: { query_status: status } });
    const err = await failure(() => client().recent(1));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toMatch(wording);
    expect(err.message).toContain('THREATFOX_AUTH_KEY');
  });

  test('a blacklisted key answered with HTTP 403 says so', async () => {
    await fake.close();
    fake = await startThreatFoxFake({ blacklistedKeys: ['blacklisted-key-1'] });
    const err = await failure(() => client({ authKey: 'blacklisted-key-1' }).recent(1));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toMatch(/blacklisted.*THREATFOX_AUTH_KEY/);
    expect(err.message).not.toContain('blacklisted-key-1');
  });

  test('illegal_malware is a config error naming THREATFOX_MALWARE and the value', async () => {
    const err = await failure(() => client().byMalware('win.no_such_family', 100));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('THREATFOX_MALWARE');
    expect(err.message).toContain('"win.no_such_family"');
    expect(err.message).toContain('illegal_malware');
    expect(fake.requests).toHaveLength(1);
  });

  test('illegal_days from the API is a config error naming THREATFOX_DAYS', async () => {
    fake.enqueue({
      status: 200,
      body: { query_status: 'illegal_days', data: 'Days must be a number between 1 and 7' },
    });
    const err = await failure(() => client().recent(7));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('THREATFOX_DAYS');
    expect(err.message).toContain('days=7');
  });

  test('days and limit out of range fail before any request', async () => {
    await expect(client().recent(8)).rejects.toThrow(/THREATFOX_DAYS/);
    await expect(client().recent(0)).rejects.toThrow(/THREATFOX_DAYS/);
    await expect(client().byMalware(NETSUPPORT, 1001)).rejects.toThrow(/THREATFOX_LIMIT/);
    expect(fake.requests).toHaveLength(0);
  });

  test('an unknown query_status is a THREATFOX error quoting it', async () => {
    fake.enqueue({ status: 200, body: { query_status: 'quota_exceeded', data: 'come back tomorrow' } });
    const err = await failure(() => client().recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.exitCode).toBe(1); // ThreatFox is read before any write: nothing was written
    expect(err.message).toContain('"quota_exceeded"');
    expect(err.message).toContain('come back tomorrow');
  });

  test('a body that is not a ThreatFox answer is a THREATFOX error', async () => {
    fake.enqueue({ status: 200, body: '<html>maintenance</html>' });
    const err = await failure(() => client().recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toMatch(/not a ThreatFox answer.*maintenance/);
  });

  test('"ok" without a data array is a THREATFOX error', async () => {
    fake.enqueue({ status: 200, body: { query_status: 'ok', data: 'nope' } });
    await expect(client().recent(1)).rejects.toThrow(/without a data array/);
  });

  test('5xx twice then success: retried with backoff, the retries logged at warn without the key', async () => {
    const { logger, lines } = captureLogger();
    fake.failNext(2, 503);
    const result = await client({ logger }).byMalware(NETSUPPORT, 100);

    expect(fake.requests).toHaveLength(3);
    expect(result.records).toHaveLength(NETSUPPORT_TOTAL);
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; attempt: number; reason: string });
    expect(warnings.filter((w) => w.level === 40).map((w) => [w.attempt, w.reason])).toEqual([
      [1, 'HTTP 503'],
      [2, 'HTTP 503'],
    ]);
    expect(lines.join('')).not.toContain(FAKE_AUTH_KEY);
  });

  test('retries exhausted: a THREATFOX error with the status and the attempts', async () => {
    fake.failNext(10, 502);
    const err = await failure(() => client({ maxRetries: 2 }).recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('3 attempts');
    expect(fake.requests).toHaveLength(3);
  });

  test('429 with Retry-After (seconds) is honoured before the retry', async () => {
    fake.enqueue({ status: 429, headers: { 'Retry-After': '1' }, body: { error: 'Too Many Requests' } });
    const started = Date.now();
    const result = await client({ retryBaseDelayMs: 1 }).recent(2);
    const waited = Date.now() - started;

    expect(result.records.length).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(2);
    expect(waited).toBeGreaterThanOrEqual(950);
  });

  test('a Retry-After longer than the client waits ends the retries with a clear message', async () => {
    fake.enqueue({ status: 429, headers: { 'Retry-After': '3600' } });
    const err = await failure(() => client({ maxRetryDelayMs: 2000 }).recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toMatch(/HTTP 429.*3600 s/);
    expect(fake.requests).toHaveLength(1);
  });

  test('a permanent 400 is not retried', async () => {
    fake.enqueue({ status: 400, body: { error: 'Bad Request' } });
    const err = await failure(() => client().recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toMatch(/HTTP 400.*not retried/);
    expect(fake.requests).toHaveLength(1);
  });

  test('a timeout is retried, then reported as a timeout without the key', async () => {
    fake.enqueue({ delayMs: 1000 }, { delayMs: 1000 });
    const err = await failure(() => client({ timeoutMs: 100, maxRetries: 1 }).recent(1));
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toMatch(/timed out after 100 ms; gave up after 2 attempts/);
    expect(fake.requests).toHaveLength(2);
    expect(everythingIn(err)).not.toContain(FAKE_AUTH_KEY);
    // The cause is ours, not the axios error that carries the request headers.
    expect((err.cause as { config?: unknown }).config).toBeUndefined();
  });

  test('a timeout then success returns the data', async () => {
    fake.enqueue({ delayMs: 1000 });
    const { records } = await client({ timeoutMs: 200 }).recent(2);
    expect(records.length).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(2);
  });

  test('a redirect is not followed (it would carry the Auth-Key elsewhere)', async () => {
    fake.enqueue({ status: 301, headers: { Location: 'http://127.0.0.1:1/elsewhere' } });
    const err = await failure(() => client().recent(1));
    expect(err.message).toMatch(/HTTP 301 redirect.*THREATFOX_API_URL/);
    expect(fake.requests).toHaveLength(1);
  });

  test('a malformed record is rejected with its reason; the rest of the batch is kept', async () => {
    const good = seedRecords()[0];
    fake.injectRaw(
      { ...good, id: '999001', ioc: 'bad-date.example.com', first_seen: 'yesterday' },
      { ...good, id: '999002', ioc: undefined },
    );
    const { records, rejected } = await client().byMalware(NETSUPPORT, 1000);

    expect(records).toHaveLength(NETSUPPORT_TOTAL);
    expect(rejected).toHaveLength(2);
    expect(rejected[0].input).toBe('ThreatFox #999001: bad-date.example.com');
    expect(rejected[0].reason).toMatch(/first_seen/);
    expect(rejected[1].reason).toMatch(/ioc/);
  });

  test('recent(days, families) validates only the wanted families: a broken record of another family is not reported', async () => {
    const other = seedRecords().find((r) => r.malware === COBALT_STRIKE)!;
    fake.injectRaw({ ...other, id: '999003', confidence_level: 'high' });
    const all = await client().recent(2);
    expect(all.rejected).toHaveLength(1);
    const ours = await client().recent(2, [NETSUPPORT]);
    expect(ours.rejected).toEqual([]);
    expect(ours.records).toHaveLength(NETSUPPORT_JUNE);
  });

  test('a connection refused is retried and reported as a network error', async () => {
    const closed = await startThreatFoxFake();
    const url = closed.url;
    await closed.close();
    const err = await failure(() =>
      new ThreatFoxClient({ apiUrl: url, authKey: FAKE_AUTH_KEY, maxRetries: 1, retryBaseDelayMs: 1 }).recent(1),
    );
    expect(err.code).toBe('THREATFOX');
    expect(err.message).toMatch(/ECONNREFUSED.*gave up after 2 attempts/);
  });

  test('an Auth-Key that cannot be a header value is refused up front without echoing it', () => {
    expect(() => new ThreatFoxClient({ apiUrl: fake.url, authKey: 'abc\r\nX-Evil: 1' })).toThrow(/THREATFOX_AUTH_KEY/);
    expect(() => new ThreatFoxClient({ apiUrl: fake.url, authKey: '   ' })).toThrow(/THREATFOX_AUTH_KEY/);
    try {
      new ThreatFoxClient({ apiUrl: fake.url, authKey: 'abc\r\nX-Evil: 1' });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('X-Evil');
    }
  });
});

describe('key scrubbing when the server echoes it', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // A hostile or buggy server that puts the request's Auth-Key into its answer.
    server = createServer((req, res) => {
      res.writeHead(req.url === '/500' ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          query_status: `weird_${String(req.headers['auth-key'])}`,
          data: `key=${String(req.headers['auth-key'])}`,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test.each(['/', '/500'])('path %s: the key never reaches the message or the logs', async (path) => {
    const { logger, lines } = captureLogger();
    const err = await failure(() =>
      new ThreatFoxClient({
        apiUrl: `${url}${path}`,
        authKey: 'echoed-secret-key-77',
        maxRetries: 1,
        retryBaseDelayMs: 1,
        logger,
      }).recent(1),
    );
    expect(everythingIn(err)).not.toContain('echoed-secret-key-77');
    expect(lines.join('')).not.toContain('echoed-secret-key-77');
    expect(err.message).toContain('[redacted]');
  });
});

describe('retry helpers', () => {
  test('backoffDelay doubles its ceiling per retry, jitters below it and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 10_000, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(20, 100, 5_000, () => 1)).toBe(5_000);
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(200);
  });
});

describe('pullFamilies', () => {
  test("mode 'recent': one get_iocs call, only the configured families kept and counted", async () => {
    const result = await pullFamilies(client(), { malware: [NETSUPPORT], mode: 'recent', days: 2, limit: 1000 });
    expect(fake.requests.map((r) => r.body)).toEqual([{ query: 'get_iocs', days: 2 }]);
    expect(result.records).toHaveLength(NETSUPPORT_JUNE);
    expect(result.records.every((r) => r.malware === NETSUPPORT)).toBe(true);
    expect(result.perFamily).toEqual({ [NETSUPPORT]: NETSUPPORT_JUNE });
  });

  test("mode 'recent' with two families counts each; a family with nothing in the window counts 0", async () => {
    const result = await pullFamilies(client(), {
      malware: [NETSUPPORT, COBALT_STRIKE, 'win.empty_family'],
      mode: 'recent',
      days: 2,
      limit: 1000,
    });
    expect(result.perFamily).toEqual({ [NETSUPPORT]: NETSUPPORT_JUNE, [COBALT_STRIKE]: 3, 'win.empty_family': 0 });
    expect(result.records).toHaveLength(NETSUPPORT_JUNE + 3);
  });

  test("mode 'full': malwareinfo per family with the limit, days ignored", async () => {
    const result = await pullFamilies(client(), {
      malware: [NETSUPPORT, ` ${COBALT_STRIKE.toUpperCase()} `, 'win.empty_family'],
      mode: 'full',
      days: 1,
      limit: 500,
    });
    expect(fake.requests.map((r) => r.body)).toEqual([
      { query: 'malwareinfo', malware: NETSUPPORT, limit: 500 },
      { query: 'malwareinfo', malware: COBALT_STRIKE, limit: 500 },
      { query: 'malwareinfo', malware: 'win.empty_family', limit: 500 },
    ]);
    expect(result.perFamily).toEqual({ [NETSUPPORT]: NETSUPPORT_TOTAL, [COBALT_STRIKE]: 4, 'win.empty_family': 0 });
    expect(result.records).toHaveLength(NETSUPPORT_TOTAL + 4);
  });

  test("mode 'full': an unknown family stops the pull with a config error", async () => {
    await expect(
      pullFamilies(client(), { malware: [NETSUPPORT, 'win.typo'], mode: 'full', days: 1, limit: 100 }),
    ).rejects.toThrow(/THREATFOX_MALWARE.*"win.typo"/);
  });

  test('keeps only configured families even when a source ignores the filter, and merges rejections', async () => {
    const records = (await client().recent(2)).records;
    const source: ThreatFoxSource = {
      byMalware: async (): Promise<FetchResult> => ({
        records: [records[0], records[0]],
        rejected: [{ input: 'x', reason: 'bad' }],
      }),
      recent: async (): Promise<FetchResult> => ({ records, rejected: [{ input: 'y', reason: 'bad' }] }),
    };
    const recent = await pullFamilies(source, { malware: [COBALT_STRIKE], mode: 'recent', days: 2, limit: 10 });
    expect(recent.records.every((r) => r.malware === COBALT_STRIKE)).toBe(true);
    expect(recent.perFamily).toEqual({ [COBALT_STRIKE]: 3 });
    expect(recent.rejected).toEqual([{ input: 'y', reason: 'bad' }]);

    const full = await pullFamilies(source, { malware: [records[0].malware], mode: 'full', days: 2, limit: 10 });
    expect(full.records).toHaveLength(1); // the same ThreatFox id twice is one record
    expect(full.rejected).toEqual([{ input: 'x', reason: 'bad' }]);
  });

  test('an empty family list is a config error', async () => {
    await expect(pullFamilies(client(), { malware: [' '], mode: 'full', days: 1, limit: 10 })).rejects.toThrow(
      /THREATFOX_MALWARE/,
    );
  });
});
