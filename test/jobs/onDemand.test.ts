import { Writable } from 'node:stream';
import type { TableClient } from '@azure/data-tables';
import pino from 'pino';
import { loadSettings, type Settings } from '../../lib/config';
import { parseSyncRequest, runOnDemand, type OnDemandDeps, type SyncRequest } from '../../lib/jobs/onDemand';
import { ThreatFoxClient } from '../../lib/threatfox/client';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import {
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { connect } from '../sentinel/harness';

/** A pino logger whose lines the test can read. */
function captureLogger() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug', base: null }, stream);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; [k: string]: unknown });
  return { logger, lines };
}

function request(body: object): SyncRequest {
  const parsed = parseSyncRequest(JSON.stringify(body));
  if (!parsed.ok) throw new Error(`test request invalid: ${JSON.stringify(parsed.answer)}`);
  return parsed.request;
}

describe('runOnDemand', () => {
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;
  let settings: Settings;

  beforeAll(async () => {
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    arm = await startArmFake();
    settings = loadSettings({ THREATFOX_API_URL: threatfox.url, THREATFOX_AUTH_KEY: FAKE_AUTH_KEY });
  });
  afterAll(async () => {
    await Promise.all([threatfox?.close(), arm?.close()]);
  });
  beforeEach(() => {
    arm.indicators.clear();
    arm.savedSearches.clear();
    arm.clearRequests();
    threatfox.requests.length = 0;
  });

  function deps(over: Partial<OnDemandDeps> = {}): OnDemandDeps & { lines: ReturnType<typeof captureLogger>['lines'] } {
    const { logger, lines } = captureLogger();
    const stores = connect(arm);
    return {
      settings,
      threatfox: () =>
        new ThreatFoxClient({ apiUrl: settings.threatfox.apiUrl, authKey: FAKE_AUTH_KEY, maxRetries: 0 }),
      sentinel: () => [stores],
      logger,
      lines,
      ...over,
    };
  }

  it('answers a dry run over pasted IOCs with 200 and the plan, touching neither ThreatFox nor Azure', async () => {
    const d = deps();
    const answer = await runOnDemand(
      request({ dryRun: true, malware: NETSUPPORT, iocs: 'hxxp://evil-c2[.]com/gate.php\n91[.]92[.]34[.]228[:]443\n' }),
      d,
    );
    expect(answer.status).toBe(200);
    const body = answer.body as {
      iocs: { value: string; malware?: string }[];
      indicators: { pattern: string }[];
      huntingQueries: unknown[];
      summary: { dryRun: boolean };
    };
    expect(body.summary.dryRun).toBe(true);
    expect(body.iocs.map((i) => [i.value, i.malware])).toEqual([
      ['http://evil-c2.com/gate.php', NETSUPPORT],
      ['91.92.34.228', NETSUPPORT],
    ]);
    // The IOCs as read: the hunted host (the tenant's decision) shows in the plan, not here.
    expect(body.iocs[0]).not.toHaveProperty('huntedHost');
    expect(body.indicators.map((i) => i.pattern).sort()).toEqual([
      "[ipv4-addr:value = '91.92.34.228']",
      "[url:value = 'http://evil-c2.com/gate.php']",
    ]);
    expect(body.huntingQueries.length).toBeGreaterThan(0);
    expect(threatfox.requests).toEqual([]);
    expect(arm.requests).toEqual([]);
  });

  it('answers 400 naming the field `malware` when ThreatFox does not know the family the caller asked for', async () => {
    const d = deps();
    const answer = await runOnDemand(request({ dryRun: true, malware: 'win.no_such_family' }), d);
    expect(threatfox.requests.map((r) => (r.body as { malware?: string }).malware)).toEqual(['win.no_such_family']);
    expect(answer.status).toBe(400);
    const fields = (answer.body as { fields: Record<string, string[]> }).fields;
    expect(Object.keys(fields)).toEqual(['malware']);
    expect(fields.malware[0]).toMatch(/^ThreatFox does not know the malware "win\.no_such_family"/);
    expect(fields.malware[0]).not.toMatch(/THREATFOX_MALWARE/);
  });

  it('still answers 500 naming THREATFOX_MALWARE when the unknown family came from the app settings', async () => {
    const d = deps({
      settings: loadSettings({
        THREATFOX_API_URL: threatfox.url,
        THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
        THREATFOX_MALWARE: 'win.no_such_family',
      }),
    });
    const answer = await runOnDemand(request({ dryRun: true }), d);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      code: 'CONFIG',
      error: expect.stringMatching(/^THREATFOX_MALWARE: ThreatFox does not know/),
    });
  });

  it('writes to Sentinel and answers 200 even when recording the run in history fails, with a warning', async () => {
    const d = deps({
      history: async () =>
        ({
          createEntity: async () => {
            throw new Error('table storage is down');
          },
          upsertEntity: async () => {
            throw new Error('table storage is down');
          },
        }) as unknown as TableClient,
      runId: 'run-http-1',
    });
    const answer = await runOnDemand(request({ malware: NETSUPPORT, iocs: 'evil-c2[.]com\n' }), d);
    expect(answer.status).toBe(200);
    expect((answer.body as { summary: { indicators: { created: number } } }).summary.indicators.created).toBe(1);
    expect([...arm.indicators.values()].map((i) => i.properties.pattern)).toEqual([
      "[domain-name:value = 'evil-c2.com']",
    ]);
    const warning = d.lines().find((l) => l.msg === 'could not record run history');
    expect(warning).toMatchObject({ level: 40, runId: 'run-http-1', err: 'table storage is down' });
  });

  it('a history table that cannot even be opened is best-effort too', async () => {
    const d = deps({
      history: async () => {
        throw new Error('no storage account');
      },
    });
    const answer = await runOnDemand(request({ malware: NETSUPPORT, iocs: 'evil-c2[.]com\n' }), d);
    expect(answer.status).toBe(200);
    expect(
      d
        .lines()
        .some((l) => l.level === 40 && l.msg === 'could not record run history' && l.err === 'no storage account'),
    ).toBe(true);
  });

  it('answers 500 with how to fix it when Azure refuses the app identity, without the token', async () => {
    const { logger, lines } = captureLogger();
    const refused = connect(arm, {}, 'a-token-arm-does-not-accept');
    const answer = await runOnDemand(request({ malware: NETSUPPORT, iocs: 'evil-c2[.]com\n' }), {
      settings,
      threatfox: () => {
        throw new Error('not used');
      },
      sentinel: () => [refused],
      logger,
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      code: 'CONFIG',
      error: expect.stringMatching(/refused the token \(HTTP 401 InvalidAuthenticationToken.*az login/),
    });
    expect(arm.requests.map((r) => r.status)).toEqual([401]);
    expect(JSON.stringify(answer.body) + JSON.stringify(lines())).not.toContain('a-token-arm-does-not-accept');
  });

  it('a pasted list names its family: without `malware` it is a 400 naming the field, and nothing is read or written', async () => {
    const answer = await runOnDemand(request({ iocs: 'evil-c2[.]com\n' }), deps());
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid request',
      fields: { malware: [expect.stringMatching(/a pasted list of IOCs needs its family: give malware/)] },
    });
    expect(threatfox.requests).toEqual([]);
    expect(arm.requests).toEqual([]);
  });

  it('`days` with `iocs` is a 400 naming `days`, not silently ignored', async () => {
    const answer = await runOnDemand(
      request({ dryRun: true, days: 2, malware: NETSUPPORT, iocs: 'evil-c2[.]com\n' }),
      deps(),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid request',
      fields: { days: [expect.stringMatching(/days cannot be used with iocs/)] },
    });
  });

  it('pasted IOCs are written as submitted by hand, still under our INDICATOR_SOURCE', async () => {
    const answer = await runOnDemand(request({ malware: NETSUPPORT, iocs: 'evil-c2[.]com\n' }), deps());
    expect(answer.status).toBe(200);
    const [indicator] = [...arm.indicators.values()].map((i) => i.properties);
    expect(indicator.source).toBe(settings.sentinel.source);
    expect(indicator.description).toMatch(/submitted by hand \(a pasted IOC list, not published by ThreatFox\)/);
    expect(indicator.description).not.toMatch(/published by ThreatFox \(abuse\.ch\)/);
    expect(indicator.labels).toEqual(expect.arrayContaining(['submitted-by-hand', `malware:${NETSUPPORT}`]));
    expect(indicator.externalReferences ?? []).toEqual([]);
  });

  it('a saved ThreatFox answer in `iocs` is kept to `malware`, and the rest counted as skipped', async () => {
    const other = {
      ...seedRecords()[0],
      id: '990001',
      ioc: 'other-family-c2.com',
      ioc_type: 'domain',
      malware: 'win.other_rat',
    };
    const doc = JSON.stringify({ query_status: 'ok', data: [...seedRecords().slice(0, 3), other] });
    const answer = await runOnDemand(request({ dryRun: true, malware: NETSUPPORT, iocs: doc }), deps());
    expect(answer.status).toBe(200);
    const body = answer.body as {
      iocs: { value: string; malware: string }[];
      summary: { skipped: number; read: number };
    };
    expect(body.iocs.every((i) => i.malware === NETSUPPORT)).toBe(true);
    expect(body.iocs.map((i) => i.value)).not.toContain('other-family-c2.com');
    expect(body.summary).toMatchObject({ read: 4, skipped: 1 });
  });

  it('refuses benign values in the HTTP path too, and counts them by reason', async () => {
    const iocs = [
      '8.8.8.8',
      'google.com',
      '192.0.2.1',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'evil-c2[.]com',
    ].join('\n');
    const answer = await runOnDemand(request({ dryRun: true, malware: NETSUPPORT, iocs }), deps());
    const body = answer.body as {
      iocs: { value: string }[];
      rejected: { benign?: string }[];
      summary: { benign: Record<string, number>; rejected: number };
    };
    expect(body.iocs.map((i) => i.value)).toEqual(['evil-c2.com']);
    expect(body.summary.rejected).toBe(4);
    expect(body.summary.benign).toEqual({
      'popular-domain': 1,
      'public-resolver': 1,
      'special-purpose-address': 1,
      'empty-file-hash': 1,
      'allow-list': 0,
      'test-file-hash': 0,
    });
  });

  it("refuses the tenant's BENIGN_ALLOWLIST values like the built-in ones", async () => {
    const own = loadSettings({
      THREATFOX_API_URL: threatfox.url,
      THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
      BENIGN_ALLOWLIST: 'contoso.com,203.0.114.0/24',
    });
    const answer = await runOnDemand(
      request({ dryRun: true, malware: NETSUPPORT, iocs: 'vpn.contoso.com\n203.0.114.7:443\nevil-c2[.]com' }),
      deps({ settings: own }),
    );
    const body = answer.body as { iocs: { value: string }[]; summary: { benign: Record<string, number> } };
    expect(body.iocs.map((i) => i.value)).toEqual(['evil-c2.com']);
    expect(body.summary.benign['allow-list']).toBe(2);
  });

  it('keeps a URL under an allow-listed domain, but never hunts its host: no hunt-host label, no domain hunt', async () => {
    const own = loadSettings({
      THREATFOX_API_URL: threatfox.url,
      THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
      BENIGN_ALLOWLIST: 'contoso.com',
    });
    const answer = await runOnDemand(
      request({ dryRun: true, malware: NETSUPPORT, iocs: 'https://cdn.contoso.com/client32.zip' }),
      deps({ settings: own }),
    );
    const body = answer.body as {
      indicators: { pattern: string; labels: string[] }[];
      huntingQueries: { table: string; query: string }[];
    };
    expect(body.indicators.map((i) => i.pattern)).toEqual(["[url:value = 'https://cdn.contoso.com/client32.zip']"]);
    expect(body.indicators[0].labels.filter((l) => l.startsWith('hunt-host:'))).toEqual([]);
    expect(body.huntingQueries.length).toBeGreaterThan(0);
    for (const q of body.huntingQueries) expect(q.query).not.toMatch(/let iocDomains = dynamic\(\[[^\]]*contoso/);
    expect(body.huntingQueries.map((q) => q.table)).not.toContain('DnsEvents');
  });
});

describe('parseSyncRequest', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'a body key named %s is a 400 naming it, not a throw (issue 9 #7)',
    (key) => {
      const parsed = parseSyncRequest(`{"dryRun": true, "${key}": [1]}`);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.answer.status).toBe(400);
      const fields = parsed.answer.body.fields as Record<string, string[]>;
      expect(Object.keys(fields)).toEqual([key]);
      expect(fields[key]).toEqual([expect.stringMatching(/^unknown field/)]);
      expect(JSON.parse(JSON.stringify(parsed.answer.body))).toEqual(parsed.answer.body);
    },
  );

  it('names every unknown key on its own', () => {
    const parsed = parseSyncRequest('{"a": 1, "b": 2, "malware": ""}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(Object.keys(parsed.answer.body.fields as object).sort()).toEqual(['a', 'b', 'malware']);
  });
});

describe('runOnDemand with {"reconcile": true}', () => {
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;
  beforeAll(async () => {
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    arm = await startArmFake();
  });
  afterAll(() => Promise.all([threatfox.close(), arm.close()]));

  it('syncs, then revokes the IOC ThreatFox withdrew; counts go to the summary and the run history', async () => {
    // A long TTL: the seed IOCs are from June 2026, the job runs on the real clock.
    const settings = loadSettings({
      THREATFOX_API_URL: threatfox.url,
      THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
      INDICATOR_TTL_DAYS: '365',
    });
    const client = new ThreatFoxClient({ apiUrl: threatfox.url, authKey: FAKE_AUTH_KEY, maxRetries: 0 });
    const stores = connect(arm);
    const rows: Record<string, unknown>[] = [];
    const history = async () =>
      ({ upsertEntity: async (e: Record<string, unknown>) => void rows.push(e) }) as unknown as TableClient;
    const deps: OnDemandDeps = {
      settings,
      threatfox: () => client,
      lookup: () => client,
      sentinel: () => [stores],
      logger: pino({ level: 'silent' }),
      history,
    };
    expect((await runOnDemand(request({}), deps)).status).toBe(200);
    threatfox.removeIoc('1580112');
    const answer = await runOnDemand(request({ reconcile: true }), deps);
    expect(answer.status).toBe(200);
    const summary = answer.body.summary as { lifecycle: { reconcile: Record<string, number> } };
    expect(summary.lifecycle.reconcile).toMatchObject({ revoked: 1, lookupFailed: 0, notChecked: 0 });
    expect(rows.at(-1)).toMatchObject({ reconcileRevoked: 1, reconcileConfirmed: arm.indicators.size - 1 });
  });

  it('refuses a reconcile flag that is not a boolean', () => {
    const parsed = parseSyncRequest('{"reconcile": "yes"}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(Object.keys(parsed.answer.body.fields as object)).toEqual(['reconcile']);
  });
});
