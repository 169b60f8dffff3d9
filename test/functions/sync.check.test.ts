import { HttpRequest, InvocationContext } from '@azure/functions';
import { resetServices } from '../../functions/shared/context';
import { startArmFake, WORKSPACE_WITHOUT_DEFENDER, type ArmFake } from '../fakes/armServer';
import { primeLogsFake, startLogsFake, type LogsFake } from '../fakes/logsServer';
import { SEED_NOW, seedRecords, startThreatFoxFake, type ThreatFoxFake } from '../fakes/threatfoxServer';
import { staticCredential } from '../sentinel/harness';
import { fakeAppSettings } from '../support/appSettings';

interface Answer {
  ok: boolean;
  lines: { id: string; ok: boolean; detail: string; fix?: string }[];
  text: string;
}

/** POST /api/sync {"check": true}: the same check as `npm run check`, from inside the Function App. */
describe('HTTP trigger: {"check": true}', () => {
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;
  let logsApi: LogsFake;
  const savedEnv = { ...process.env };
  const logs: string[] = [];

  const post = (body: string) =>
    new HttpRequest({
      method: 'POST',
      url: 'http://127.0.0.1/api/sync',
      body: { string: body },
      headers: { 'content-type': 'application/json' },
    });
  const context = () =>
    new InvocationContext({
      invocationId: `check-${Math.random().toString(16).slice(2)}`,
      functionName: 'sync',
      logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
    });

  let sync: typeof import('../../functions/sync').sync;

  beforeAll(async () => {
    // Registering the function outside the host makes @azure/functions warn that it is in test
    // mode: expected here, so kept off the test output.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ({ sync } = await import('../../functions/sync'));
    warn.mockRestore();
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    arm = await startArmFake();
    logsApi = await startLogsFake({ token: arm.token });
    primeLogsFake(fakeAppSettings({ threatfox, arm }));
    primeLogsFake(fakeAppSettings({ threatfox, arm }), WORKSPACE_WITHOUT_DEFENDER);
  }, 300_000);
  beforeEach(() => {
    process.env = {
      ...savedEnv,
      ...fakeAppSettings({ threatfox, arm }),
      ARM_MAX_RETRIES: '0',
      LOG_LEVEL: 'info',
      LOG_ANALYTICS_ENDPOINT: logsApi.url,
    };
    // The app's credential, swapped for the fake's: the check never builds DefaultAzureCredential here.
    resetServices({ credential: staticCredential(arm.token), transport: { tlsCa: arm.ca } });
    arm.clearRequests();
    arm.clearFaults();
    logs.length = 0;
  });
  afterAll(async () => {
    process.env = savedEnv;
    resetServices();
    await Promise.all([threatfox?.close(), arm?.close(), logsApi?.close()]);
  });

  it('answers 200 with every line ✓ and the printable report, writing nothing', async () => {
    const res = await sync(post('{"check": true}'), context());
    expect(res.status).toBe(200);
    const body = res.jsonBody as Answer;
    expect(body.ok).toBe(true);
    expect(body.lines.filter((l) => !l.ok)).toEqual([]);
    expect(body.text).toMatch(/^✓ Settings /);
    // Every hunting query ran through the Logs query API, over the last hour.
    expect(body.lines.filter((l) => l.id === 'hunts').length).toBeGreaterThanOrEqual(11);
    expect(body.text).toMatch(/^✓ Hunt DeviceNetworkEvents +runs/m);
    expect(logsApi.requests.filter((r) => r.timespan === 'PT1H').length).toBeGreaterThanOrEqual(11);
    expect(arm.writes()).toEqual([]);
    expect(logs.some((l) => /preflight check passed/.test(l))).toBe(true);
  });

  it('answers 503 with the failing line and its fix when ARM denies the workspace', async () => {
    arm.failNext({
      match: (r) => r.operation === 'workspace',
      status: 403,
      code: 'AuthorizationFailed',
      message: 'The client does not have authorization.',
    });
    const res = await sync(post('{"check": true}'), context());
    expect(res.status).toBe(503);
    const body = res.jsonBody as Answer;
    expect(body.ok).toBe(false);
    expect(body.lines.find((l) => l.id === 'workspace')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/Microsoft Sentinel Contributor/),
    });
    expect(logs.some((l) => /preflight check failed/.test(l) && /workspace/.test(l))).toBe(true);
  });

  it('reports a bad app setting as a line (a sync would fail before answering), and a wrong key as another', async () => {
    process.env.THREATFOX_DAYS = '30';
    resetServices({ credential: staticCredential(arm.token), transport: { tlsCa: arm.ca } });
    const bad = await sync(post('{"check": true}'), context());
    expect(bad.status).toBe(503);
    expect((bad.jsonBody as Answer).lines[0]).toMatchObject({
      id: 'settings',
      ok: false,
      detail: expect.stringContaining('THREATFOX_DAYS'),
    });

    process.env.THREATFOX_DAYS = '1';
    process.env.THREATFOX_AUTH_KEY = 'wrong-http-check-key-42';
    const wrong = await sync(post('{"check": true}'), context());
    expect(wrong.status).toBe(503);
    const body = wrong.jsonBody as Answer;
    expect(body.lines.find((l) => l.id === 'threatfox')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/THREATFOX_AUTH_KEY/),
    });
    expect(JSON.stringify(body) + logs.join('\n')).not.toContain('wrong-http-check-key-42');
  });

  it('a workspace without Defender XDR: no Defender hunt is run, and the connector is named', async () => {
    const lean = await startArmFake({
      workspaces: [{ resourceGroup: 'rg-soc', name: 'law-sentinel', tables: WORKSPACE_WITHOUT_DEFENDER }],
    });
    try {
      process.env.AZURE_RESOURCE_MANAGER_ENDPOINT = lean.url;
      resetServices({ credential: staticCredential(lean.token), transport: { tlsCa: lean.ca } });
      const leanLogs = await startLogsFake({ token: lean.token, tables: WORKSPACE_WITHOUT_DEFENDER });
      process.env.LOG_ANALYTICS_ENDPOINT = leanLogs.url;
      try {
        const res = await sync(post('{"check": true}'), context());
        const body = res.jsonBody as Answer;
        expect(body.lines.find((l) => l.id === 'hunt-tables')?.detail).toMatch(
          /not written until you connect Microsoft Defender XDR for [\w, ]*DeviceNetworkEvents/,
        );
        expect(body.text).not.toMatch(/Hunt Device/);
        expect(res.status).toBe(200);
      } finally {
        await leanLogs.close();
      }
    } finally {
      await lean.close();
    }
  });

  it('leaves every other body to the sync: check mixed with sync fields is a 400 naming the field', async () => {
    const res = await sync(post('{"check": true, "dryRun": true}'), context());
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.jsonBody)).toMatch(/check/);
    expect(arm.requests).toEqual([]);
  });
});
