import { request } from 'node:https';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { startArmFake, type ArmFake } from './armServer';
import { toIndicator } from '../support/indicators';
import { connect } from '../sentinel/harness';
import { withoutIdentityEnv } from '../support/identityEnv';

const WS =
  '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-sentinel';
const TI = `${WS}/providers/Microsoft.SecurityInsights/threatIntelligence/main`;

function call(fake: ArmFake, method: string, path: string, body?: unknown, token: string | null = fake.token) {
  return new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
    const url = new URL(path, fake.url);
    const req = request(
      url,
      {
        method,
        ca: fake.ca,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const valid = () => ({
  kind: 'indicator',
  properties: toIndicator(
    { type: 'domain', value: 'a.example', firstSeen: '2026-06-20T00:00:00Z' },
    { source: 'ThreatFox', ttlDays: 30, now: new Date() },
  ),
});

describe('fake ARM', () => {
  let fake: ArmFake;
  beforeEach(async () => {
    fake = await startArmFake();
  });
  afterEach(() => fake.close());

  it('answers 401 with an ARM error without the expected bearer token', async () => {
    const none = await call(fake, 'POST', `${TI}/queryIndicators?api-version=2025-09-01`, {}, null);
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ error: { code: 'AuthenticationFailed', message: expect.any(String) } });
    const wrong = await call(fake, 'POST', `${TI}/queryIndicators?api-version=2025-09-01`, {}, 'other');
    expect(wrong.json.error.code).toBe('InvalidAuthenticationToken');
  });

  it('refuses a missing or unsupported api-version, per resource type', async () => {
    expect((await call(fake, 'POST', `${TI}/queryIndicators`, {})).json.error.code).toBe('MissingApiVersionParameter');
    const bad = await call(fake, 'POST', `${TI}/queryIndicators?api-version=2020-08-01`, {});
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('InvalidApiVersionParameter');
    expect((await call(fake, 'GET', `${WS}/savedSearches?api-version=2025-09-01`)).json.error.code).toBe(
      'InvalidApiVersionParameter',
    );
    expect((await call(fake, 'GET', `${WS}/savedSearches?api-version=2020-08-01`)).status).toBe(200);
  });

  it('a client on an api-version the service does not take gets ARM 400', async () => {
    const old = await startArmFake({ tiApiVersions: ['2025-09-01'] });
    try {
      const arm = connect(old, { apiVersion: '2022-09-01-preview' });
      await expect(
        arm.clients.securityInsights.threatIntelligenceIndicator.get('rg-soc', 'law-sentinel', 'x'),
      ).rejects.toMatchObject({
        statusCode: 400,
        code: 'InvalidApiVersionParameter',
      });
    } finally {
      await old.close();
    }
  });

  it.each([
    ['pattern', { pattern: undefined }],
    ['patternType', { patternType: undefined }],
    ['source', { source: '' }],
    ['validFrom', { validFrom: undefined }],
    ['bad pattern', { pattern: "[domain-name:value = 'a'b']" }],
    ['unbracketed pattern', { pattern: "domain-name:value = 'a'" }],
    ['validUntil before validFrom', { validUntil: '2000-01-01T00:00:00Z' }],
    ['confidence 101', { confidence: 101 }],
  ])('rejects an indicator with %s', async (_name, change) => {
    const body = valid();
    const res = await call(fake, 'POST', `${TI}/createIndicator?api-version=2025-09-01`, {
      ...body,
      properties: { ...body.properties, ...change },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    expect(fake.indicators.size).toBe(0);
  });

  it('creates with a GUID name, updates only what exists, deletes idempotently', async () => {
    const created = await call(fake, 'POST', `${TI}/createIndicator?api-version=2025-09-01`, valid());
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      name: expect.stringMatching(/^[0-9a-f-]{36}$/),
      etag: expect.any(String),
      type: 'Microsoft.SecurityInsights/ThreatIntelligence',
      kind: 'indicator',
      properties: { pattern: "[domain-name:value = 'a.example']", validFrom: '2026-06-20T00:00:00.0000000Z' },
    });
    expect(created.json.id).toContain(`/ThreatIntelligence/${created.json.name}`);
    expect((await call(fake, 'PUT', `${TI}/indicators/nope?api-version=2025-09-01`, valid())).status).toBe(404);
    expect(
      (await call(fake, 'PUT', `${TI}/indicators/${created.json.name}?api-version=2025-09-01`, valid())).status,
    ).toBe(200);
    expect((await call(fake, 'GET', `${TI}/indicators/${created.json.name}?api-version=2025-09-01`)).status).toBe(200);
    expect((await call(fake, 'DELETE', `${TI}/indicators/${created.json.name}?api-version=2025-09-01`)).status).toBe(
      200,
    );
    expect((await call(fake, 'DELETE', `${TI}/indicators/${created.json.name}?api-version=2025-09-01`)).status).toBe(
      204,
    );
  });

  it('pages the indicator list with nextLink, which the SDK follows', async () => {
    const small = await startArmFake({ maxPageSize: 3 });
    try {
      for (let i = 0; i < 7; i++)
        small.seedIndicator({ ...valid().properties, pattern: `[domain-name:value = 'd${i}.example']` });
      const arm = connect(small);
      const names: string[] = [];
      for await (const item of arm.clients.securityInsights.threatIntelligenceIndicators.list(
        'rg-soc',
        'law-sentinel',
        { top: 3 },
      )) {
        names.push(item.name!);
      }
      expect(names).toEqual([...small.indicators.keys()]);
      expect(small.requests.map((r) => r.operation)).toEqual(['listIndicators', 'listIndicators', 'listIndicators']);
      expect(small.requests.slice(1).every((r) => r.query.$skipToken && r.query['api-version'] === '2025-09-01')).toBe(
        true,
      );
    } finally {
      await small.close();
    }
  });

  it('rejects a saved search without category, displayName or query, and a replace without the etag', async () => {
    const path = `${WS}/savedSearches/s1?api-version=2020-08-01`;
    for (const missing of ['category', 'displayName', 'query']) {
      const properties: Record<string, string> = { category: 'Hunting Queries', displayName: 'd', query: 'T | take 1' };
      delete properties[missing];
      expect((await call(fake, 'PUT', path, { properties })).status).toBe(400);
    }
    const ok = await call(fake, 'PUT', path, {
      properties: { category: 'Hunting Queries', displayName: 'd', query: 'T' },
    });
    expect(ok.status).toBe(200);
    expect(
      (await call(fake, 'PUT', path, { properties: { category: 'Hunting Queries', displayName: 'd', query: 'T2' } }))
        .status,
    ).toBe(409);
    expect(
      (
        await call(fake, 'PUT', path, {
          etag: ok.json.etag,
          properties: { category: 'Hunting Queries', displayName: 'd', query: 'T2' },
        })
      ).status,
    ).toBe(200);
    expect((await call(fake, 'GET', `${WS}/savedSearches/S1?api-version=2020-08-01`)).json.properties.query).toBe('T2');
    expect((await call(fake, 'GET', `${WS}/savedSearches/none?api-version=2020-08-01`)).status).toBe(404);
  });

  it('throttles writes with a token bucket and says when to come back', async () => {
    const bucket = await startArmFake({ throttle: { burst: 2, perSecond: 1 } });
    try {
      const statuses: number[] = [];
      const remaining: unknown[] = [];
      let retry: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) {
        const res = await call(bucket, 'POST', `${TI}/createIndicator?api-version=2025-09-01`, valid());
        statuses.push(res.status);
        remaining.push(res.headers['x-ms-ratelimit-remaining-subscription-writes']);
        if (res.status === 429) retry = res.headers;
      }
      expect(statuses).toEqual([200, 200, 429]);
      // Like ARM, every answer to a write says what is left of the subscription's write bucket.
      expect(remaining).toEqual(['1', '0', '0']);
      // Deletes spend a bucket of their own, and say so in their own header.
      const deleted = await call(bucket, 'DELETE', `${TI}/indicators/none?api-version=2025-09-01`);
      expect(deleted.status).not.toBe(429);
      expect(deleted.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('1');
      expect(Number(retry['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(retry['x-ms-retry-after-ms'])).toBeGreaterThan(0);
      // Reads are not throttled.
      expect((await call(bucket, 'POST', `${TI}/queryIndicators?api-version=2025-09-01`, {})).status).toBe(200);
      expect(bucket.throttled()).toBe(1);
    } finally {
      await bucket.close();
    }
  });
});

describe('fake ARM against the vendored OpenAPI documents (issue 9, item 12)', () => {
  let fake: ArmFake;
  beforeEach(async () => {
    fake = await startArmFake();
  });
  afterEach(() => fake.close());

  it.each([
    ['confidence as text', { properties: { ...valid().properties, confidence: 'high' } }, /confidence must be integer/],
    ['labels as a string', { properties: { ...valid().properties, labels: 'malware' } }, /labels must be array/],
    ['an unknown kind', { kind: 'observable' }, /kind must be equal to one of the allowed values/],
    ['no kind', { kind: undefined }, /must have required property 'kind'/],
  ])('refuses, as the service would, a createIndicator body with %s', async (_what, change, message) => {
    const res = await call(fake, 'POST', `${TI}/createIndicator?api-version=2025-09-01`, { ...valid(), ...change });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ code: 'InvalidRequestContent', message: expect.stringMatching(message) });
    expect(fake.indicators.size).toBe(0);
  });

  it('refuses operations and parameters the API does not have', async () => {
    expect(
      (await call(fake, 'PATCH', `${TI}/indicators/x?api-version=2025-09-01`, valid())).json.error.message,
    ).toMatch(/PATCH is not an operation/);
    // queryIndicators is a POST only: a client following its nextLink with a GET is refused.
    expect((await call(fake, 'GET', `${TI}/queryIndicators?api-version=2025-09-01`)).status).toBe(400);
    const badWorkspace = TI.replace('law-sentinel', 'law_sentinel');
    expect(
      (await call(fake, 'POST', `${badWorkspace}/queryIndicators?api-version=2025-09-01`, {})).json.error.message,
    ).toMatch(/workspaceName must match pattern/);
    const tagWithoutValue = {
      properties: { category: 'Hunting Queries', displayName: 'd', query: 'T', tags: [{ name: 'description' }] },
    };
    expect(
      (await call(fake, 'PUT', `${WS}/savedSearches/s1?api-version=2020-08-01`, tagWithoutValue)).json.error.message,
    ).toMatch(/must have required property 'value'/);
    expect(fake.contractViolations).toHaveLength(4);
  });

  it('checks its own answers too: one that breaks the response schema becomes a 500 naming why', async () => {
    const name = fake.seedIndicator({ ...valid().properties, confidence: 'very high' });
    const res = await call(fake, 'GET', `${TI}/indicators/${name}?api-version=2025-09-01`);
    expect(res.status).toBe(500);
    expect(res.json.error).toEqual({
      code: 'FakeContractViolation',
      message: expect.stringContaining('confidence must be integer'),
    });
  });

  it('every call of a full sync through the real SDK clients keeps to the contract', async () => {
    const arm = connect(fake);
    const { syncIndicators } = await import('../../lib/sentinel/indicatorWriter');
    const { syncSavedSearches } = await import('../../lib/sentinel/savedSearchWriter');
    const iocs = [
      { type: 'domain' as const, value: 'a.example', malware: 'win.x', firstSeen: '2026-06-20T00:00:00Z' },
      { type: 'ipv4' as const, value: '203.0.113.7', port: 443, malware: 'win.x', firstSeen: '2026-06-20T00:00:00Z' },
    ];
    const opts = { source: 'ThreatFox', ttlDays: 30, concurrency: 2, now: new Date('2026-06-21T00:00:00Z') };
    await syncIndicators(arm.indicators, iocs, opts);
    await syncIndicators(
      arm.indicators,
      iocs.map((i) => ({ ...i, lastSeen: '2026-06-25T00:00:00Z' })),
      opts,
    );
    const search = {
      id: 's1',
      body: { category: 'Hunting Queries', displayName: 'd', query: 'T', tags: [{ name: 'description', value: 'x' }] },
    };
    await syncSavedSearches(arm.savedSearches, [search], { concurrency: 1 });
    await syncSavedSearches(arm.savedSearches, [{ ...search, body: { ...search.body, query: 'T2' } }], {
      concurrency: 1,
    });
    expect(fake.requests.map((r) => r.status).every((s) => s === 200)).toBe(true);
    expect(new Set(fake.requests.map((r) => r.operation))).toEqual(
      new Set(['queryIndicators', 'metrics', 'createIndicator', 'indicator', 'listSavedSearches', 'savedSearch']),
    );
    expect(fake.contractViolations).toEqual([]);
  });
});

describe('managed identity through the fake (the CLI end-to-end path)', () => {
  withoutIdentityEnv();

  it('the credential narrowed to ManagedIdentityCredential gets the fake token from the loopback App Service endpoint', async () => {
    const fake = await startArmFake({ msiHeader: 'msi-secret' });
    try {
      process.env.AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential';
      process.env.IDENTITY_ENDPOINT = fake.msiEndpoint;
      process.env.IDENTITY_HEADER = 'msi-secret';
      const { createCredential } = await import('../../lib/sentinel/credential');
      const credential = createCredential(process.env);
      expect(credential).toBeInstanceOf(ManagedIdentityCredential);
      expect(createCredential({})).toBeInstanceOf(DefaultAzureCredential);
      const token = await credential.getToken(`${fake.url}/.default`);
      expect(token?.token).toBe(fake.token);
      expect(fake.msiRequests).toEqual([
        { path: '/msi/token', query: { 'api-version': '2019-08-01', resource: fake.url }, status: 200 },
      ]);
    } finally {
      await fake.close();
    }
  });
});
