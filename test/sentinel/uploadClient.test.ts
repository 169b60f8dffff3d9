import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createLogger } from '../../lib/logger';
import { withRunDeadline } from '../../lib/net/deadline';
import { publish } from '../../lib/sentinel/publish';
import { stixIndicatorId, uuidV5 } from '../../lib/sentinel/stixObject';
import {
  createUploadClient,
  MAX_OBJECTS_PER_UPLOAD,
  UPLOAD_TOKEN_SCOPE,
  type UploadClientOptions,
} from '../../lib/sentinel/uploadClient';
import { uploadIndicatorStore } from '../../lib/sentinel/uploadStore';
import type { WorkspaceStores } from '../../lib/sentinel/stores';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { fakeJwt, startTiUploadFake, type UploadFake } from '../fakes/tiUploadServer';
import { connect } from './harness';
import { connectUpload, ipIocs, scopedCredential } from './uploadHarness';

const NOW = new Date('2026-06-21T00:00:00Z');
const options = (stores: WorkspaceStores) => ({
  source: 'ThreatFox',
  ttlDays: 30,
  huntingLookback: '14d',
  concurrency: stores.writeConcurrency ?? 4,
  now: NOW,
});

describe('STIX ids', () => {
  it('are RFC 4122 version 5 UUIDs, the same for the same source and pattern', () => {
    // RFC 4122 appendix-style vector: the DNS namespace and www.example.com.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    const id = stixIndicatorId('ThreatFox', "[ipv4-addr:value = '1.2.3.4']");
    expect(id).toMatch(/^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stixIndicatorId('ThreatFox', "[ipv4-addr:value = '1.2.3.4']")).toBe(id);
    expect(stixIndicatorId('Other', "[ipv4-addr:value = '1.2.3.4']")).not.toBe(id);
  });
});

describe('upload write path against the fake ARM and upload API', () => {
  let arm: ArmFake;
  let upload: UploadFake;

  beforeEach(async () => {
    arm = await startArmFake();
    upload = await startTiUploadFake(arm);
  });
  afterEach(async () => {
    await Promise.all([upload?.close(), arm?.close()]);
  });
  /** An upload client for this test's fakes, with the test's own retry and timing options. */
  const fakeUploadClient = (extra: Partial<UploadClientOptions> = {}) =>
    createUploadClient({
      endpoint: upload.url,
      credential: scopedCredential(arm),
      sourceSystem: 'ThreatFox',
      tlsCa: arm.ca,
      ...extra,
    });

  /** The fake ARM's workspace (it exists once addressed), by its customerId. */
  const addressedWorkspace = async () => {
    await connectUpload(arm, upload).indicators.listBySource('ThreatFox')[Symbol.asyncIterator]().next();
    return arm.workspace('rg-soc/law-sentinel').customerId;
  };
  const evilDomain = {
    type: 'indicator' as const,
    spec_version: '2.1' as const,
    id: stixIndicatorId('ThreatFox', "[domain-name:value = 'evil.example']"),
    created: NOW.toISOString(),
    modified: NOW.toISOString(),
    pattern: "[domain-name:value = 'evil.example']",
    pattern_type: 'stix' as const,
    valid_from: NOW.toISOString(),
  };
  /** A debug logger that keeps what the client says about each failed attempt. */
  const attemptLog = () => {
    const attempts: { status?: number; waitMs?: number; code?: string }[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const line = JSON.parse(String(chunk)) as { msg: string; status?: number; waitMs?: number; code?: string };
        if (line.msg === 'upload attempt failed') {
          const { status, waitMs, code } = line;
          attempts.push({
            ...(status !== undefined ? { status } : {}),
            ...(waitMs !== undefined ? { waitMs } : {}),
            ...(code !== undefined ? { code } : {}),
          });
        }
        done();
      },
    });
    return { logger: createLogger({ level: 'debug', destination }), attempts };
  };

  it('creates through batches of at most 100 objects, reads back through ARM, and a re-sync writes nothing', async () => {
    const stores = connectUpload(arm, upload);
    const iocs = ipIocs(250);
    const first = await publish(iocs, stores, options(stores));
    expect(first.indicators).toMatchObject({ created: 250, failed: 0 });
    expect(upload.requests.map((r) => r.objects.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(upload.requests.every((r) => r.status === 200)).toBe(true);
    // No indicator went through ARM's createIndicator; the hunting queries did go to ARM.
    expect(arm.requests.filter((r) => r.operation === 'createIndicator')).toHaveLength(0);
    expect(arm.requests.filter((r) => r.operation === 'savedSearch' && r.method === 'PUT').length).toBeGreaterThan(0);
    // The upload URL named the workspace by its customerId, read once from ARM.
    const customerId = arm.workspace('rg-soc/law-sentinel').customerId;
    expect(new Set(upload.requests.map((r) => r.workspaceId))).toEqual(new Set([customerId]));
    expect(arm.requests.filter((r) => r.operation === 'workspace')).toHaveLength(1);
    const stored = arm.workspace('rg-soc/law-sentinel').indicators();
    expect(stored).toHaveLength(250);
    expect(stored.every((i) => i.properties.source === 'ThreatFox')).toBe(true);

    upload.requests.length = 0;
    arm.clearRequests();
    const again = connectUpload(arm, upload);
    const second = await publish(iocs, again, options(again));
    expect(second.indicators).toMatchObject({ created: 0, updated: 0, unchanged: 250, failed: 0 });
    expect(upload.requests).toHaveLength(0);
    expect(arm.writes()).toHaveLength(0);
  });

  it('a batch retried after a 503 (which had landed) creates no duplicate', async () => {
    upload.failNext({ status: 503, afterEffect: true });
    const stores = connectUpload(arm, upload);
    const result = await publish(ipIocs(150), stores, options(stores));
    expect(result.indicators).toMatchObject({ created: 150, failed: 0 });
    expect(upload.requests.filter((r) => r.status === 503)).toHaveLength(1);
    const retried = upload.requests.find((r) => r.status === 503)!;
    // The same objects (same ids) went again.
    const resent = upload.requests
      .filter((r) => r.status === 200)
      .find((r) => r.objects[0].id === retried.objects[0].id);
    expect(resent?.objects.map((o) => o.id)).toEqual(retried.objects.map((o) => o.id));
    const stored = arm.workspace('rg-soc/law-sentinel').indicators();
    expect(stored).toHaveLength(150);
    expect(new Set(stored.map((i) => i.properties.pattern)).size).toBe(150);
  });

  it('a batch whose connection was reset (after it landed) is sent again and creates no duplicate', async () => {
    upload.failNext({ status: 0, reset: true, afterEffect: true });
    const stores = connectUpload(arm, upload);
    const result = await publish(ipIocs(150), stores, options(stores));
    expect(result.indicators).toMatchObject({ created: 150, failed: 0 });
    expect(upload.requests.filter((r) => r.status === 0)).toHaveLength(1);
    const stored = arm.workspace('rg-soc/law-sentinel').indicators();
    expect(stored).toHaveLength(150);
    expect(new Set(stored.map((i) => i.properties.pattern)).size).toBe(150);
  });

  it('an update re-sends the same STIX object with a newer modified; an ARM-made indicator keeps its own id', async () => {
    // Some indicators were first written through ARM (the default path).
    const viaArm = connect(arm);
    await publish(
      ipIocs(3),
      { indicators: viaArm.indicators, savedSearches: viaArm.savedSearches },
      { source: 'ThreatFox', ttlDays: 30, huntingLookback: '14d', concurrency: 2, now: NOW },
    );
    const before = new Map(
      arm
        .workspace('rg-soc/law-sentinel')
        .indicators()
        .map((i) => [i.properties.pattern as string, i]),
    );
    expect(before.size).toBe(3);

    // ThreatFox saw them again later: validity extends, through the upload API.
    const stores = connectUpload(arm, upload);
    const later = await publish(ipIocs(5, '2026-06-25T12:00:00Z'), stores, options(stores));
    expect(later.indicators).toMatchObject({ created: 2, updated: 3, failed: 0 });
    const after = arm.workspace('rg-soc/law-sentinel').indicators();
    expect(after).toHaveLength(5);
    for (const [pattern, old] of before) {
      const now = after.find((i) => i.properties.pattern === pattern)!;
      expect(now.name).toBe(old.name);
      expect(now.properties.externalId).toBe(old.properties.externalId);
      expect(Date.parse(now.properties.validUntil as string)).toBeGreaterThan(
        Date.parse(old.properties.validUntil as string),
      );
    }
    const sent = upload.requests.flatMap((r) => r.objects);
    expect(sent.every((o) => Date.parse(o.modified as string) >= Date.parse(o.created as string))).toBe(true);
  });

  it("a replacement is newer than the service's version even when our clock is behind it", async () => {
    const viaArm = connect(arm);
    const client = fakeUploadClient({
      retryDelayMs: 5,
    });
    await viaArm.clients.operationalInsights.workspaces.get('rg-soc', 'law-sentinel');
    const storeAt = (clock: string) => ({
      indicators: uploadIndicatorStore({
        arm: viaArm.indicators,
        client,
        source: 'ThreatFox',
        workspaceId: async () => arm.workspace('rg-soc/law-sentinel').customerId,
        clock: () => new Date(clock),
      }),
      savedSearches: viaArm.savedSearches,
    });
    // Written by a clock two days ahead, then changed (seen again later) by ours.
    await publish(ipIocs(1), storeAt('2026-06-23T00:00:00Z'), {
      source: 'ThreatFox',
      ttlDays: 30,
      huntingLookback: '14d',
      concurrency: 100,
      now: NOW,
    });
    const later = await publish(ipIocs(1, '2026-06-22T12:00:00Z'), storeAt('2026-06-21T00:00:00Z'), {
      source: 'ThreatFox',
      ttlDays: 30,
      huntingLookback: '14d',
      concurrency: 100,
      now: NOW,
    });
    expect(later.indicators).toMatchObject({ updated: 1, failed: 0 });
    const [stored] = arm.workspace('rg-soc/law-sentinel').indicators();
    expect(Date.parse(stored.properties.validUntil as string)).toBe(Date.parse('2026-07-22T12:00:00Z'));
    const sent = upload.requests.flatMap((r) => r.objects);
    expect(Date.parse(sent[1].modified as string)).toBeGreaterThan(Date.parse(sent[0].modified as string));
    expect(sent[1].created).toBe(sent[0].created);
  });

  it('a refused object is a named failure; the rest of its batch lands', async () => {
    const bad = "[ipv4-addr:value = '10.0.0.7']";
    upload.rejectObjects(
      (o) => o.pattern === bad,
      'Error for Property=pattern: Indicator value is on the tenant allow list.',
    );
    const stores = connectUpload(arm, upload);
    const result = await publish(ipIocs(20), stores, options(stores));
    expect(result.indicators).toMatchObject({ created: 19, failed: 1 });
    expect(result.failures).toEqual([
      expect.objectContaining({ kind: 'indicator', key: 'ipv4:10.0.0.7', error: expect.stringMatching(/allow list/) }),
    ]);
    expect(arm.workspace('rg-soc/law-sentinel').indicators()).toHaveLength(19);
  });

  it('waits for 429 Retry-After, capped, and carries on', async () => {
    upload.failNext({ status: 429, retryAfterSeconds: 30, times: 2 });
    const { logger, attempts } = attemptLog();
    const client = fakeUploadClient({ maxRetryAfterMs: 40, logger });
    const customerId = await addressedWorkspace();
    const started = performance.now();
    const answer = await client.upload(customerId, [evilDomain]);
    const elapsed = performance.now() - started;
    expect(answer.rejected.size).toBe(0);
    expect(attempts.map((a) => [a.status, a.waitMs])).toEqual([
      [429, 40],
      [429, 40],
    ]); // 30 s asked, cut to the cap
    expect(elapsed).toBeGreaterThanOrEqual(75);
    expect(elapsed).toBeLessThan(10_000);
    expect(upload.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('a 429 with no Retry-After waits what its message names (capped), else the first backoff', async () => {
    upload.failNext({ status: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.' });
    upload.failNext({ status: 429 });
    const { logger, attempts } = attemptLog();
    const client = fakeUploadClient({ maxRetryAfterMs: 200, retryDelayMs: 5, logger });
    await expect(client.upload(await addressedWorkspace(), [evilDomain])).resolves.toEqual({ rejected: new Map() });
    expect(attempts.map((a) => [a.status, a.waitMs])).toEqual([
      [429, 200], // 1 s named in the message, cut to the cap
      [429, 5], // nothing named: the first backoff
    ]);
    expect(upload.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('the fake answers the rate limit as the service does, and the client honours it', async () => {
    await upload.close();
    upload = await startTiUploadFake(arm, { perMinute: 600, burst: 1 });
    const stores = connectUpload(arm, upload);
    const result = await publish(ipIocs(300), stores, options(stores));
    expect(result.indicators).toMatchObject({ created: 300, failed: 0 });
    expect(upload.throttled()).toBeGreaterThan(0);
    const throttledAnswer = upload.requests.find((r) => r.status === 429);
    expect(throttledAnswer).toBeDefined();
  });

  it('gives up on a request that outlives its timeout, after its retries, saying so', async () => {
    await upload.close();
    upload = await startTiUploadFake(arm, { latencyMs: 300 });
    const { logger, attempts } = attemptLog();
    const client = fakeUploadClient({ timeoutMs: 50, maxRetries: 1, retryDelayMs: 5, logger });
    await expect(client.upload('00000000-0000-0000-0000-000000000000', [{} as never])).rejects.toMatchObject({
      name: 'UploadError',
      message: 'upload request failed: ETIMEDOUT',
    });
    expect(attempts).toEqual([{ code: 'ETIMEDOUT' }, { code: 'ETIMEDOUT' }]); // one retry, then the error
  });

  it("ends an upload in flight at the run's deadline, without retrying it", async () => {
    await upload.close();
    upload = await startTiUploadFake(arm, { latencyMs: 2000 });
    const client = fakeUploadClient({
      retryDelayMs: 5,
    });
    await expect(
      withRunDeadline({ seconds: 0.1 }, () => client.upload('00000000-0000-0000-0000-000000000000', [{} as never])),
    ).rejects.toMatchObject({
      code: 'RUN_DEADLINE',
    });
    expect(upload.requests.length).toBeLessThanOrEqual(1);
  });

  it('the fake refuses what the service refuses: over 100 objects, the reserved source name, another api-version', async () => {
    await connectUpload(arm, upload).indicators.listBySource('ThreatFox')[Symbol.asyncIterator]().next();
    const customerId = arm.workspace('rg-soc/law-sentinel').customerId;
    const post = (body: unknown, apiVersion = '2024-02-01-preview') =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          `${upload.url}/workspaces/${customerId}/threat-intelligence-stix-objects:upload?api-version=${apiVersion}`,
          {
            method: 'POST',
            ca: arm.ca,
            headers: {
              authorization: `Bearer ${fakeJwt('https://management.azure.com/')}`,
              'content-type': 'application/json',
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const object = (i: number) => ({
      type: 'indicator',
      spec_version: '2.1',
      id: stixIndicatorId('T', String(i)),
      created: NOW.toISOString(),
      modified: NOW.toISOString(),
      pattern: `[ipv4-addr:value = '10.9.0.${i % 250}']`,
      pattern_type: 'stix',
      valid_from: NOW.toISOString(),
    });
    const tooMany = await post({
      sourcesystem: 'ThreatFox',
      stixobjects: Array.from({ length: 101 }, (_, i) => object(i)),
    });
    expect(tooMany).toMatchObject({ status: 400, text: expect.stringMatching(/At most 100 STIX objects/) });
    expect(await post({ sourcesystem: 'Microsoft Sentinel', stixobjects: [object(1)] })).toMatchObject({
      status: 400,
      text: expect.stringMatching(/restricted/),
    });
    expect(await post({ sourcesystem: 'ThreatFox', stixobjects: [object(1)] }, '2023-01-01')).toMatchObject({
      status: 400,
    });
    const mixed = await post({
      sourcesystem: 'ThreatFox',
      stixobjects: [object(1), { ...object(2), id: undefined }, { ...object(3), pattern: "[ipv4-addr:value = 'x" }],
    });
    expect(mixed.status).toBe(200);
    expect(JSON.parse(mixed.text).errors.map((e: { recordIndex: number }) => e.recordIndex)).toEqual([1, 2]);
    expect(await post({ sourcesystem: 'ThreatFox', stixobjects: [object(4)] })).toEqual({ status: 200, text: '' });
  });

  it('refuses a token for another audience, more than 100 objects, and an unknown workspace', async () => {
    const wrongAudience = createUploadClient({
      endpoint: upload.url,
      credential: {
        getToken: async () => ({
          token: fakeJwt('https://graph.microsoft.com'),
          expiresOnTimestamp: Date.now() + 3600_000,
        }),
      },
      sourceSystem: 'ThreatFox',
      tlsCa: arm.ca,
      maxRetries: 0,
    });
    await expect(wrongAudience.upload('00000000-0000-0000-0000-000000000000', [{} as never])).rejects.toMatchObject({
      statusCode: 401,
    });
    const client = fakeUploadClient({
      maxRetries: 0,
    });
    await expect(
      client.upload('00000000-0000-0000-0000-000000000000', new Array(MAX_OBJECTS_PER_UPLOAD + 1).fill({})),
    ).rejects.toThrow(/at most 100/);
    await expect(client.upload('00000000-0000-0000-0000-000000000000', [{} as never])).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(scopedCredential(arm).getToken(UPLOAD_TOKEN_SCOPE)).resolves.toMatchObject({
      token: expect.any(String),
    });
  });
});

describe('upload endpoint over plain http', () => {
  const credential = {
    getToken: async () => ({
      token: fakeJwt('https://management.azure.com/'),
      expiresOnTimestamp: Date.now() + 3600_000,
    }),
  };

  it('sends the token to a loopback endpoint (a local fake) and reads its answer', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createUploadClient({
        endpoint: `http://127.0.0.1:${port}`,
        credential,
        sourceSystem: 'ThreatFox',
      });
      await expect(client.upload('00000000-0000-0000-0000-000000000000', [{} as never])).resolves.toEqual({
        rejected: new Map(),
      });
      expect(seen).toEqual([expect.stringMatching(/^Bearer [\w-]+\.[\w-]+\.$/)]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses to send a token over plain http anywhere else, before any request', async () => {
    const client = createUploadClient({
      endpoint: 'http://upload.example.invalid',
      credential,
      sourceSystem: 'ThreatFox',
    });
    await expect(client.upload('00000000-0000-0000-0000-000000000000', [{} as never])).rejects.toThrow(
      /refusing to send a token over plain http to upload.example.invalid/,
    );
  });
});
