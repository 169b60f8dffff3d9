import { CredentialUnavailableError } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import {
  CHECK_IDS,
  formatCheck,
  isCheckRequest,
  principalOf,
  runCheck,
  type CheckDeps,
  type CheckId,
  type CheckReport,
} from '../../lib/jobs/check';
import { actionMatcher } from '../../lib/sentinel/permissions';
import { startArmFake, type ArmFake, type FakeWorkspace } from '../fakes/armServer';
import {
  COBALT_STRIKE,
  NETSUPPORT,
  SEED_NOW,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import type { LogsQueryRunner } from '../../lib/sentinel/logsQuery';
import { staticCredential } from '../sentinel/harness';
import { fakeAppSettings } from '../support/appSettings';

const AUTHORIZATION_FAILED =
  "The client 'app-id' with object id '9f0c1b2e-0000-4000-8000-000000000001' does not have authorization to perform action 'Microsoft.OperationalInsights/workspaces/read' over scope '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-sentinel' or the scope is invalid. If access was recently granted, please refresh your credentials.";

const line = (report: CheckReport, id: CheckId) => {
  const found = report.lines.find((l) => l.id === id);
  if (!found) throw new Error(`no line ${id}`);
  return found;
};
const summary = (report: CheckReport) => {
  // Whatever failed, a report lists every check, in order (one line per hunt).
  expect([...new Set(report.lines.map((l) => l.id))]).toEqual(CHECK_IDS);
  return Object.fromEntries(report.lines.map((l) => [l.id, l.ok]));
};

describe('preflight check against the fakes', () => {
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;

  beforeAll(async () => {
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW, knownMalware: ['win.quiet_family'] });
    arm = await startArmFake();
  });
  afterAll(async () => {
    await Promise.all([threatfox?.close(), arm?.close()]);
  });
  beforeEach(() => {
    arm.clearRequests();
    arm.clearFaults();
    threatfox.requests.length = 0;
  });

  const env = (over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
    ...fakeAppSettings({ threatfox, arm }),
    ARM_MAX_RETRIES: '0',
    ...over,
  });
  /**
   * Never DefaultAzureCredential: a credential that hands out the fake's token. The Logs query API
   * answers every query with no rows here (its own fake and tests: check.hunts.test.ts).
   */
  const logs: LogsQueryRunner = { run: () => Promise.resolve({ ok: true, columns: [], rows: [] }) };
  const deps = (over: Partial<CheckDeps> = {}, fake: ArmFake = arm): CheckDeps => ({
    env: env({ AZURE_RESOURCE_MANAGER_ENDPOINT: fake.url }),
    credential: staticCredential(fake.token),
    transport: { tlsCa: fake.ca },
    logs,
    ...over,
  });

  it('passes every line on a good setup, and writes nothing anywhere', async () => {
    const report = await runCheck(deps());
    expect(summary(report)).toEqual(Object.fromEntries(CHECK_IDS.map((id) => [id, true])));
    expect(report.lines.filter((l) => !l.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.lines.every((l) => l.fix === undefined)).toBe(true);
    // One cheap ThreatFox query: malwareinfo, limit 1.
    expect(threatfox.requests.map((r) => r.body)).toEqual([{ query: 'malwareinfo', malware: NETSUPPORT, limit: 1 }]);
    // Read-only on ARM: GETs, and one queryIndicators page (a POST that reads).
    expect(arm.writes()).toEqual([]);
    expect(arm.requests.map((r) => [r.method, r.operation])).toEqual([
      ['GET', 'workspace'],
      ['POST', 'queryIndicators'],
      ['GET', 'listSavedSearches'],
      ['GET', 'permissions'],
      ['GET', 'table'],
      ['GET', 'listTables'],
      // Our indicators, to set beside what the hunts see.
      ['POST', 'queryIndicators'],
    ]);
    expect(arm.requests.find((r) => r.operation === 'table')!.path).toMatch(
      /\/workspaces\/law-sentinel\/tables\/ThreatIntelIndicators$/,
    );
    expect(arm.requests.filter((r) => r.operation === 'queryIndicators')[0].body).toMatchObject({
      sources: ['ThreatFox'],
      pageSize: 1,
    });
    expect(line(report, 'workspace').detail).toMatch(
      /law-sentinel in resource group rg-soc.*found \(workspace id [0-9a-f-]{36}\)/,
    );
    expect(formatCheck(report)).toMatch(/All checks passed\.\n$/);
  });

  it('a wrong Auth-Key is a ✗ naming THREATFOX_AUTH_KEY, and the key is never shown', async () => {
    const report = await runCheck(
      deps({ env: env({ AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url, THREATFOX_AUTH_KEY: 'not-the-right-key-0123' }) }),
    );
    expect(report.ok).toBe(false);
    const tf = line(report, 'threatfox');
    expect(tf.ok).toBe(false);
    expect(tf.detail).toMatch(/ThreatFox refused the Auth-Key \(HTTP 403, unknown_auth_key\)/);
    expect(tf.fix).toMatch(/set THREATFOX_AUTH_KEY .*auth\.abuse\.ch/);
    expect(line(report, 'families')).toMatchObject({ ok: false, detail: 'not checked: ThreatFox did not answer' });
    // The Azure half is independent of ThreatFox and still checked.
    expect(summary(report)).toMatchObject({
      'azure-login': true,
      workspace: true,
      indicators: true,
      'saved-searches': true,
      'ti-table': true,
    });
    const text = formatCheck(report) + JSON.stringify(report);
    expect(text).not.toContain('not-the-right-key-0123');
    expect(text).not.toContain(arm.token);
    expect(formatCheck(report)).toMatch(
      /^✗ ThreatFox API and Auth-Key +ThreatFox refused the Auth-Key.*\n +fix: set THREATFOX_AUTH_KEY/m,
    );
    // The Auth-Key failed; the families line was not reached because of it.
    expect(formatCheck(report)).toMatch(new RegExp(`1 of ${report.lines.length} checks failed, 1 not checked\\.\\n$`));
  });

  it('no Auth-Key at all says so without asking ThreatFox', async () => {
    const report = await runCheck(
      deps({ env: env({ AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url, THREATFOX_AUTH_KEY: '' }) }),
    );
    expect(line(report, 'threatfox')).toMatchObject({ ok: false, detail: 'THREATFOX_AUTH_KEY is not set' });
    expect(threatfox.requests).toEqual([]);
  });

  it('an unknown family fails its own line; the key line passes because ThreatFox answered', async () => {
    const report = await runCheck(
      deps({
        env: env({
          AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
          THREATFOX_MALWARE: `${NETSUPPORT},win.netsupport_typo,win.quiet_family,${COBALT_STRIKE}`,
        }),
      }),
    );
    expect(line(report, 'threatfox').ok).toBe(true);
    const families = line(report, 'families');
    expect(families.ok).toBe(false);
    expect(families.detail).toMatch(/^not known to ThreatFox: win\.netsupport_typo; known: /);
    expect(families.detail).toContain('win.quiet_family (no IOCs at the moment)');
    expect(families.fix).toMatch(/THREATFOX_MALWARE takes ThreatFox malware ids/);
    expect(threatfox.requests.map((r) => (r.body as { limit: number }).limit)).toEqual([1, 1, 1, 1]);
  });

  it('an unreachable ThreatFox names the host to allow', async () => {
    const report = await runCheck(
      deps({
        env: env({
          AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
          THREATFOX_API_URL: 'http://127.0.0.1:9/api/v1/',
          THREATFOX_TIMEOUT_MS: '1000',
        }),
      }),
    );
    const tf = line(report, 'threatfox');
    expect(tf.ok).toBe(false);
    expect(tf.detail).toMatch(/network error ECONNREFUSED/);
    expect(tf.fix).toMatch(/allow outbound HTTPS to 127\.0\.0\.1:9/);
  });

  it('no Azure login is a ✗ with how to sign in, and nothing is asked of ARM', async () => {
    const noLogin: TokenCredential = {
      async getToken() {
        throw new CredentialUnavailableError('AzureCliCredential: Please run `az login` to set up an account');
      },
    };
    const report = await runCheck(deps({ credential: noLogin }));
    const login = line(report, 'azure-login');
    expect(login.ok).toBe(false);
    // One short line, the fix beside it; the SDK's text only in --json (debug).
    expect(login.detail).toBe('no credential gave a token (CredentialUnavailableError)');
    expect(login.fix).toMatch(/az login.*AZURE_TOKEN_CREDENTIALS/);
    expect(login.debug).toMatch(/AzureCliCredential: Please run `az login`/);
    expect(formatCheck(report)).not.toContain('Please run');
    expect(formatCheck(report, { debug: true })).toMatch(/debug: AzureCliCredential: Please run `az login`/);
    for (const id of ['workspace', 'indicators', 'saved-searches', 'write-access', 'ti-table'] as const) {
      expect(line(report, id)).toMatchObject({ ok: false, detail: 'not checked: no Azure token' });
    }
    expect(summary(report)).toMatchObject({ settings: true, threatfox: true, families: true });
    expect(arm.requests).toEqual([]);
  });

  it('a bogus AZURE_TOKEN_CREDENTIALS is named, not a stack trace (DefaultAzureCredential refuses it before any probe)', async () => {
    const names = ['AZURE_TOKEN_CREDENTIALS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER'] as const;
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    process.env.AZURE_TOKEN_CREDENTIALS = 'AzureCliCredentail';
    // Belt and braces: were a future @azure/identity to fall back to its chain instead of refusing,
    // managed identity would go to a closed loopback port, never to IMDS.
    process.env.IDENTITY_ENDPOINT = 'http://127.0.0.1:9/msi/token';
    process.env.IDENTITY_HEADER = 'unused';
    try {
      const report = await runCheck({ env: env(), transport: { tlsCa: arm.ca } });
      const login = line(report, 'azure-login');
      expect(login.ok).toBe(false);
      expect(login.detail).toMatch(/Invalid value for AZURE_TOKEN_CREDENTIALS = AzureCliCredentail/);
      expect(login.fix).toMatch(/^set AZURE_TOKEN_CREDENTIALS to dev, prod or one credential name/);
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
    expect(arm.requests).toEqual([]);
  });

  it('a 403 on the workspace is a ✗ naming the role, and the reads the role may still allow are tried', async () => {
    arm.failNext({
      match: (r) => r.operation === 'workspace',
      status: 403,
      code: 'AuthorizationFailed',
      message: AUTHORIZATION_FAILED,
    });
    const report = await runCheck(deps());
    const ws = line(report, 'workspace');
    expect(ws.ok).toBe(false);
    expect(ws.detail).toMatch(
      /HTTP 403 AuthorizationFailed The client 'app-id' .* does not have authorization to perform action 'Microsoft\.OperationalInsights\/workspaces\/read'/,
    );
    expect(ws.fix).toMatch(
      /^grant the identity the app runs as the ThreatFox Sentinel Sync role \(the custom role azd up creates; upload path: Microsoft Sentinel Contributor\) on workspace law-sentinel \(resource group rg-soc\)/,
    );
    expect(ws.fix).toMatch(/ASSIGN_SENTINEL_ROLE=false/);
    expect(summary(report)).toMatchObject({ indicators: true, 'saved-searches': true, 'ti-table': true });
    expect(report.ok).toBe(false);
  });

  it('a 403 on every Sentinel read fails each read with the role fix', async () => {
    arm.failAlways({
      status: 403,
      code: 'AuthorizationFailed',
      message: 'The client does not have authorization to perform this action.',
    });
    const report = await runCheck(deps());
    for (const id of ['workspace', 'indicators', 'saved-searches', 'write-access', 'ti-table'] as const) {
      expect([id, line(report, id).ok, line(report, id).fix]).toEqual([
        id,
        false,
        expect.stringMatching(/Microsoft Sentinel Contributor/),
      ]);
    }
    expect(arm.writes()).toEqual([]);
  });

  it('names the token to the role fix when the token says who it is (never the token)', async () => {
    const claims = Buffer.from(
      JSON.stringify({ oid: '9f0c1b2e-0000-4000-8000-000000000001', upn: 'analyst@contoso.example' }),
    ).toString('base64url');
    const jwtLike = `eyJhbGciOiJub25lIn0.${claims}.sig`;
    const fake = await startArmFake({ token: jwtLike });
    try {
      fake.failNext({
        match: (r) => r.operation === 'workspace',
        status: 403,
        code: 'AuthorizationFailed',
        message: 'denied',
      });
      const report = await runCheck(deps({}, fake));
      expect(line(report, 'azure-login').detail).toContain(
        'as analyst@contoso.example, object id 9f0c1b2e-0000-4000-8000-000000000001',
      );
      expect(line(report, 'workspace').fix).toMatch(/^grant analyst@contoso\.example, object id 9f0c1b2e-/);
      expect(formatCheck(report) + JSON.stringify(report)).not.toContain(jwtLike);
    } finally {
      await fake.close();
    }
  });

  it('an ARM 401 (token for the wrong tenant or audience) says how to sign in', async () => {
    const report = await runCheck(deps({ credential: staticCredential('a-token-arm-refuses') }));
    expect(line(report, 'azure-login').ok).toBe(true);
    const ws = line(report, 'workspace');
    expect(ws.detail).toMatch(/HTTP 401 InvalidAuthenticationToken/);
    expect(ws.fix).toMatch(/az login.*tenant/);
    expect(line(report, 'indicators').detail).toBe('not checked: the workspace could not be read');
  });

  describe('what the role allows (ARM permissions list, no write tried)', () => {
    /** A Microsoft Sentinel Reader-like role: reads and queries, no writes. */
    const READER = [
      {
        actions: [
          'Microsoft.SecurityInsights/*/read',
          'Microsoft.SecurityInsights/threatIntelligence/indicators/query/action',
          'Microsoft.SecurityInsights/threatIntelligence/queryIndicators/action',
          'Microsoft.OperationalInsights/workspaces/*/read',
          'Microsoft.OperationalInsights/workspaces/savedSearches/read',
          'Microsoft.Authorization/*/read',
        ],
      },
    ];
    const withPermissions = async (permissions: { actions: string[]; notActions?: string[] }[]) => {
      const fake = await startArmFake({ permissions });
      try {
        const report = await runCheck(deps({}, fake));
        expect(fake.writes()).toEqual([]);
        return report;
      } finally {
        await fake.close();
      }
    };

    it('a read-only role passes every read and fails the write line, naming what it lacks and the role', async () => {
      const report = await withPermissions(READER);
      expect(summary(report)).toMatchObject({
        workspace: true,
        indicators: true,
        'saved-searches': true,
        'write-access': false,
        'ti-table': true,
      });
      const write = line(report, 'write-access');
      expect(write.detail).toBe(
        'the roles of the identity the app runs as on the workspace do not allow Microsoft.SecurityInsights/threatIntelligence/createIndicator/action, Microsoft.SecurityInsights/threatIntelligence/indicators/write, Microsoft.SecurityInsights/threatIntelligence/indicators/delete, Microsoft.OperationalInsights/workspaces/savedSearches/write, Microsoft.OperationalInsights/workspaces/savedSearches/delete',
      );
      expect(write.fix).toMatch(/Microsoft Sentinel Contributor/);
    });

    it('honours notActions and case, and adds up several assignments', async () => {
      const report = await withPermissions([
        {
          actions: ['microsoft.securityinsights/*'],
          notActions: ['Microsoft.SecurityInsights/threatIntelligence/indicators/delete'],
        },
        { actions: ['Microsoft.OperationalInsights/workspaces/savedSearches/*'] },
      ]);
      expect(line(report, 'write-access').detail).toMatch(
        /do not allow Microsoft\.SecurityInsights\/threatIntelligence\/indicators\/delete$/,
      );
      const full = await withPermissions([
        { actions: ['Microsoft.SecurityInsights/threatIntelligence/*'] },
        {
          actions: [
            'Microsoft.OperationalInsights/workspaces/savedSearches/write',
            'Microsoft.OperationalInsights/workspaces/savedSearches/delete',
          ],
        },
      ]);
      expect(line(full, 'write-access').ok).toBe(true);
    });

    it('a read wildcard grants no write', async () => {
      const report = await withPermissions([
        { actions: ['Microsoft.SecurityInsights/*/read', 'Microsoft.OperationalInsights/workspaces/savedSearches/*'] },
      ]);
      expect(line(report, 'write-access').detail).toMatch(
        /do not allow Microsoft\.SecurityInsights\/threatIntelligence\/createIndicator\/action, .*indicators\/delete$/,
      );
    });
  });

  describe('a workspace that is not where the settings say', () => {
    let strict: ArmFake;
    const known: FakeWorkspace[] = [
      { resourceGroup: 'rg-soc', name: 'law-sentinel' },
      { resourceGroup: 'rg-soc', name: 'law-no-sentinel', tables: ['Heartbeat'] },
    ];
    beforeAll(async () => {
      strict = await startArmFake({ workspaces: known });
    });
    afterAll(() => strict?.close());
    const withTarget = (rg: string, ws: string) =>
      deps(
        {
          env: env({
            AZURE_RESOURCE_MANAGER_ENDPOINT: strict.url,
            SENTINEL_RESOURCE_GROUP: rg,
            SENTINEL_WORKSPACE_NAME: ws,
          }),
        },
        strict,
      );

    it('a mistyped workspace name points at SENTINEL_WORKSPACE_NAME and stops the reads', async () => {
      const report = await runCheck(withTarget('rg-soc', 'law-sentinal'));
      const ws = line(report, 'workspace');
      expect(ws.detail).toMatch(
        /HTTP 404 ResourceNotFound The Resource 'Microsoft\.OperationalInsights\/workspaces\/law-sentinal'/,
      );
      expect(ws.fix).toMatch(/^check SENTINEL_WORKSPACE_NAME/);
      expect(line(report, 'ti-table').detail).toBe('not checked: the workspace was not found');
    });

    it('a mistyped resource group points at SENTINEL_RESOURCE_GROUP', async () => {
      const report = await runCheck(withTarget('rg-sco', 'law-sentinel'));
      expect(line(report, 'workspace')).toMatchObject({
        ok: false,
        fix: expect.stringMatching(/^check SENTINEL_RESOURCE_GROUP/),
      });
    });

    it('a workspace without the ThreatIntelIndicators table fails that line with what to enable', async () => {
      const report = await runCheck(withTarget('rg-soc', 'law-no-sentinel'));
      expect(summary(report)).toMatchObject({ workspace: true, 'ti-table': false });
      const table = line(report, 'ti-table');
      expect(table.detail).toMatch(/HTTP 404 ResourceNotFound The table 'ThreatIntelIndicators' was not found/);
      expect(table.fix).toMatch(/^enable Microsoft Sentinel on this workspace: ThreatIntelIndicators/);
      // The hunts all read that table: they wait for it rather than each failing alike.
      expect(line(report, 'hunts').detail).toBe('not checked: no ThreatIntelIndicators table yet');
    });
  });

  it('missing workspace settings are named on the first line, and Azure is not asked', async () => {
    const report = await runCheck(
      deps({
        env: env({
          AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
          SENTINEL_WORKSPACE_NAME: '',
          AZURE_SUBSCRIPTION_ID: undefined,
        }),
      }),
    );
    expect(line(report, 'settings')).toMatchObject({
      ok: false,
      detail: 'not set: AZURE_SUBSCRIPTION_ID, SENTINEL_WORKSPACE_NAME (or SENTINEL_WORKSPACES)',
    });
    expect(line(report, 'azure-login').detail).toBe('not checked: no workspace configured (see Settings)');
    expect(line(report, 'indicators').detail).toBe('not checked: no workspace configured (see Settings)');
    expect(arm.requests).toEqual([]);
  });

  it('invalid settings fail the first line, naming each, and nothing goes on the network', async () => {
    const report = await runCheck(deps({ env: env({ THREATFOX_DAYS: '9', LOG_LEVEL: 'Information' }) }));
    const settings = line(report, 'settings');
    expect(settings.ok).toBe(false);
    expect(settings.detail).toMatch(
      /THREATFOX_DAYS must be a whole number from 1 to 7 \(got "9"\); LOG_LEVEL must be one of/,
    );
    expect(report.lines.map((l) => l.id)).toEqual(CHECK_IDS);
    expect(report.lines.slice(1).every((l) => !l.ok && l.detail === 'not checked: the settings are invalid')).toBe(
      true,
    );
    expect(threatfox.requests).toEqual([]);
    expect(arm.requests).toEqual([]);
  });
});

describe('check helpers', () => {
  it('recognises exactly {"check": true} as a check request', () => {
    expect(isCheckRequest('{"check": true}')).toBe(true);
    expect(isCheckRequest('{"check": false}')).toBe(false);
    expect(isCheckRequest('{"check": true, "dryRun": true}')).toBe(false);
    expect(isCheckRequest('{"check": "yes"}')).toBe(false);
    expect(isCheckRequest('not json')).toBe(false);
    expect(isCheckRequest('')).toBe(false);
  });

  it('matches RBAC action patterns: * spans any run of characters, case is ignored, dots are literal', () => {
    const m = actionMatcher('Microsoft.SecurityInsights/*');
    expect(m('microsoft.securityinsights/threatIntelligence/createIndicator/action')).toBe(true);
    expect(m('Microsoft.SecurityInsightsX')).toBe(false);
    expect(
      actionMatcher('Microsoft.OperationalInsights/workspaces/*/read')(
        'Microsoft.OperationalInsights/workspaces/tables/read',
      ),
    ).toBe(true);
    expect(
      actionMatcher('Microsoft.OperationalInsights/workspaces/*/read')(
        'Microsoft.OperationalInsights/workspaces/savedSearches/write',
      ),
    ).toBe(false);
    expect(actionMatcher('a.b/c')('aXb/c')).toBe(false);
    expect(actionMatcher('*')('anything/at/all')).toBe(true);
  });

  it('reads who a token is for only from well-formed claims', () => {
    const token = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
    expect(principalOf(token({ oid: 'abc-123' }))).toBe('object id abc-123');
    expect(principalOf(token({ upn: 'a@b.example', oid: 'x' }))).toBe('a@b.example, object id x');
    expect(principalOf(token({ upn: 'has space\nnewline' }))).toBeUndefined();
    expect(principalOf('opaque-token')).toBeUndefined();
    expect(principalOf('a.!!!.b')).toBeUndefined();
  });
});
