import { NETSUPPORT, seedRecords } from '../fakes/threatfoxServer';
import { jsonSummary, runCli, useCliFakes } from '../support/cli';

const MSI_SECRET = 'msi-header-secret-for-workspaces';
const SUB_A = '11111111-2222-3333-4444-555555555555';
const SUB_B = '99999999-8888-7777-6666-555555555555';
const WS_A = `/subscriptions/${SUB_A}/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-eu`;
const WS_B = `/subscriptions/${SUB_B}/resourceGroups/rg-tenant-b/providers/Microsoft.OperationalInsights/workspaces/law-tenant-b`;

/** SENTINEL_WORKSPACES end to end: one ThreatFox pull, two workspaces, the CLI as a child process. */
describe('CLI sync to several workspaces', () => {
  const netsupport = seedRecords().filter((r) => r.malware === NETSUPPORT);
  const fakes = useCliFakes({
    dirPrefix: 'tfss-ws-',
    msiSecret: MSI_SECRET,
    env: { SENTINEL_WORKSPACES: `${WS_A}, ${WS_B}`, ARM_MAX_RETRIES: '3' },
  });
  beforeAll(() => {
    // The list replaces the three single-workspace settings.
    for (const single of ['AZURE_SUBSCRIPTION_ID', 'SENTINEL_RESOURCE_GROUP', 'SENTINEL_WORKSPACE_NAME'])
      delete fakes.env[single];
  });

  it('one pull feeds both; the workspace answering 403 throughout is named, the other is complete, exit 2', async () => {
    fakes.arm.failAlways({
      status: 403,
      code: 'AuthorizationFailed',
      message: 'The client does not have authorization to perform action over scope law-tenant-b.',
      match: (r) => r.path.toLowerCase().includes('/workspaces/law-tenant-b'),
    });
    const run = await runCli(['--json'], fakes.env);
    expect(run.code).toBe(2);
    const summary = jsonSummary(run);
    // One ThreatFox pull for the family, whatever the number of workspaces.
    expect(fakes.threatfox.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    const [a, b] = summary.workspaces;
    const searches = fakes.arm.workspace('rg-soc/law-eu').savedSearches().length;
    expect(searches).toBeGreaterThan(0);
    expect(a).toMatchObject({
      workspace: 'rg-soc/law-eu',
      status: 'succeeded',
      indicators: { created: netsupport.length, failed: 0 },
      huntingQueries: { created: searches, failed: 0 },
    });
    expect(b).toMatchObject({ workspace: 'rg-tenant-b/law-tenant-b', status: 'failed', resourceId: WS_B });
    expect(b.error).toMatch(/HTTP 403 AuthorizationFailed/);
    expect(summary.failures).toBe(1);
    expect(run.stdout).toMatch(/rg-tenant-b\/law-tenant-b: FAILED: HTTP 403/);
    expect(fakes.arm.workspace('rg-soc/law-eu').indicators()).toHaveLength(netsupport.length);
    expect(fakes.arm.workspace(WS_B).indicators()).toHaveLength(0);
    expect(run.stderr).toMatch(/workspace failed; the others carry on/);
  });

  it('once allowed, the re-run fills the missed workspace and writes nothing in the complete one; the next run writes nothing in either', async () => {
    fakes.arm.clearFaults();
    fakes.arm.clearRequests();
    const second = await runCli(['--json'], fakes.env);
    expect(second.code).toBe(0);
    const [a, b] = jsonSummary(second).workspaces;
    expect(a.indicators).toMatchObject({ created: 0, updated: 0, unchanged: netsupport.length });
    const searches = fakes.arm.workspace('rg-soc/law-eu').savedSearches().length;
    expect(a.huntingQueries).toMatchObject({ created: 0, updated: 0, unchanged: searches });
    expect(b.huntingQueries).toMatchObject({ created: searches, failed: 0 });
    expect(b.indicators).toMatchObject({ created: netsupport.length, failed: 0 });
    expect(fakes.arm.requests.filter((r) => r.write && r.path.includes('/law-eu/'))).toHaveLength(0);

    fakes.arm.clearRequests();
    const third = await runCli(['--json'], fakes.env);
    expect(third.code).toBe(0);
    for (const w of jsonSummary(third).workspaces) {
      expect(w.indicators).toMatchObject({
        created: 0,
        updated: 0,
        deleted: 0,
        unchanged: netsupport.length,
        failed: 0,
      });
      expect(w.huntingQueries).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: searches, failed: 0 });
    }
    expect(fakes.arm.writes()).toHaveLength(0);
    // Each workspace read its own indicators: one queryIndicators read per workspace at least.
    const reads = fakes.arm.requests
      .filter((r) => r.operation === 'queryIndicators')
      .map((r) => r.path.split('/workspaces/')[1].split('/')[0]);
    expect(new Set(reads)).toEqual(new Set(['law-eu', 'law-tenant-b']));
  });

  it('refuses SENTINEL_WORKSPACES together with the single-workspace settings, and names a bad entry', async () => {
    const both = await runCli(
      ['--input', '-'],
      { ...fakes.env, SENTINEL_WORKSPACE_NAME: 'law-sentinel' },
      'evil.example\n',
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/SENTINEL_WORKSPACES and SENTINEL_WORKSPACE_NAME are both set/);
    const bad = await runCli(
      ['--input', '-'],
      {
        ...fakes.env,
        SENTINEL_WORKSPACES: `${WS_A},/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w1x`,
      },
      'evil.example\n',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /SENTINEL_WORKSPACES must be a comma-separated list of workspace resource ids: .*w1x.* has a subscription that is not a GUID/,
    );
  });
});
