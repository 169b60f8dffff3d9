import { huntingQueryId } from '../../lib/kql/huntingQuery';
import { renderReport } from '../../lib/render/report';
import { publish } from '../../lib/sentinel/publish';
import { connectWorkspaces } from '../../lib/sentinel/connectWorkspaces';
import { CONNECTOR_BY_TABLE, huntsForWorkspace, tableAvailable } from '../../lib/sentinel/workspaceTables';
import { buildThreatIntelQueries } from '../../lib/kql/threatIntelQueries';
import { DEFAULT_WORKSPACE_TABLES, startArmFake, WORKSPACE_WITHOUT_DEFENDER, type ArmFake } from '../fakes/armServer';
import { armContract } from '../fakes/armContract';
import { manyIocs } from '../kql/fixtures';
import { staticCredential, targetFor } from './harness';

const NSM = 'win.netsupportmanager_rat';
const OPTIONS = {
  source: 'ThreatFox',
  ttlDays: 30,
  huntingLookback: '14d',
  concurrency: 4,
  now: new Date('2026-11-23T00:00:00Z'),
};
const DEFENDER = /^(Device|Email|UrlClick)/;

describe('which hunts a workspace has the data for', () => {
  const all = buildThreatIntelQueries([{ id: NSM, name: 'NetSupportManager RAT' }], { indicatorSource: 'ThreatFox' });

  it('keeps every hunt in a workspace with every connector, and names the connector of each missing table', () => {
    expect(huntsForWorkspace(all, DEFAULT_WORKSPACE_TABLES).skipped).toEqual([]);
    const { kept, skipped } = huntsForWorkspace(all, WORKSPACE_WITHOUT_DEFENDER);
    expect(kept.map((q) => q.table).filter((t) => DEFENDER.test(t))).toEqual([]);
    expect(skipped.length).toBeGreaterThan(0);
    for (const s of skipped) {
      expect(s.missing.every((t) => DEFENDER.test(t))).toBe(true);
      expect(s.connectors.every((c) => c.startsWith('Microsoft Defender XDR'))).toBe(true);
    }
    expect(CONNECTOR_BY_TABLE.CommonSecurityLog).toBe('Common Event Format (CEF) via AMA');
    expect(CONNECTOR_BY_TABLE.ASimDnsActivityLogs).toBe('Windows DNS Events via AMA');
  });

  it('counts an ASIM parser when one of its sources is there, table names in any case', () => {
    expect(tableAvailable(new Set(['asimdnsactivitylogs']), '_Im_Dns')).toBe(true);
    expect(tableAvailable(new Set(['heartbeat']), '_Im_Dns')).toBe(false);
    expect(tableAvailable(new Set(['commonsecuritylog']), '_Im_WebSession')).toBe(true);
    // ThreatIntelIndicators fills with the sync's own indicators minutes after the first run.
    expect(tableAvailable(new Set(), 'ThreatIntelIndicators')).toBe(true);
  });
});

describe('publishing only the hunts a workspace has data for (fake ARM tables list)', () => {
  let arm: ArmFake;
  let tables: string[];
  beforeEach(async () => {
    tables = [...WORKSPACE_WITHOUT_DEFENDER];
    arm = await startArmFake({ workspaces: [{ resourceGroup: 'rg-soc', name: 'law-sentinel', tables }] });
  });
  afterEach(() => arm.close());

  const stores = () => {
    const [one] = connectWorkspaces([targetFor(arm)], {
      credential: staticCredential(arm.token),
      transport: { tlsCa: arm.ca },
    });
    return one;
  };
  const tablesOfSearches = () =>
    arm
      .workspace('rg-soc/law-sentinel')
      .savedSearches()
      .map((s) => (s.properties.tags as { name: string; value: string }[]).find((t) => t.name === 'table')!.value);

  it('writes no Defender hunt without Defender tables, says which connector adds them, and adds them once the tables appear', async () => {
    const first = await publish(manyIocs(20), stores(), OPTIONS);
    expect(first.failures).toEqual([]);
    expect(tablesOfSearches().filter((t) => DEFENDER.test(t))).toEqual([]);
    expect(tablesOfSearches()).toEqual(expect.arrayContaining(['CommonSecurityLog', 'DnsEvents']));
    expect(first.skippedHunts!.length).toBeGreaterThan(0);
    expect(first.skippedHunts!.map((s) => s.missing[0])).toEqual(expect.arrayContaining(['DeviceNetworkEvents']));
    expect(first.skippedHunts!.find((s) => s.missing[0] === 'DeviceNetworkEvents')!.connectors).toEqual([
      'Microsoft Defender XDR',
    ]);
    // The report says so in a section of its own.
    expect(renderReport(manyIocs(20), [], { skippedHunts: first.skippedHunts })).toMatch(
      /## Hunts not written to this workspace[\s\S]*\| DeviceNetworkEvents \| Microsoft Defender XDR \|/,
    );

    // Defender XDR connected: the next run adds its hunts and rewrites nothing else.
    tables.push(
      'DeviceNetworkEvents',
      'DeviceFileEvents',
      'DeviceProcessEvents',
      'DeviceRegistryEvents',
      'DeviceFileCertificateInfo',
      'UrlClickEvents',
      'EmailUrlInfo',
      'EmailEvents',
    );
    const before = arm.workspace('rg-soc/law-sentinel').savedSearches().length;
    const second = await publish(manyIocs(20), stores(), OPTIONS);
    expect(second.failures).toEqual([]);
    expect(second.skippedHunts).toEqual([]);
    expect(second.huntingQueries.created).toBe(first.skippedHunts!.length);
    expect(second.huntingQueries.updated).toBe(0);
    expect(arm.workspace('rg-soc/law-sentinel').savedSearches().length).toBe(before + first.skippedHunts!.length);
  });

  it('removes none an analyst changed: a hunt whose table went away keeps its saved search as it is', async () => {
    tables.push('DeviceNetworkEvents');
    await publish(manyIocs(20), stores(), OPTIONS);
    const id = huntingQueryId(NSM, 'DeviceNetworkEvents');
    const ws = arm.workspace('rg-soc/law-sentinel');
    const mine = ws.savedSearches().find((s) => s.name === id)!;
    expect(mine).toBeDefined();
    // An analyst tunes the query; later the Defender connector is removed.
    mine.properties.query = `${String(mine.properties.query)}\n| where DeviceName !startswith "lab-"`;
    tables.splice(tables.indexOf('DeviceNetworkEvents'), 1);
    arm.clearRequests();
    const again = await publish(manyIocs(20), stores(), OPTIONS);
    expect(again.skippedHunts!.map((s) => s.id)).toContain(id);
    expect(arm.writes().filter((w) => w.path.toLowerCase().endsWith(`/savedsearches/${id}`))).toEqual([]);
    expect(ws.savedSearches().find((s) => s.name === id)!.properties.query).toMatch(/lab-/);
  });

  it('reads the tables list as the vendored OpenAPI document describes it (Tables_ListByWorkspace, 2022-10-01)', async () => {
    await publish(manyIocs(5), stores(), OPTIONS);
    const listed = arm.requests.filter((r) => r.operation === 'listTables');
    expect(listed.map((r) => [r.method, r.query['api-version'], r.status])).toEqual([['GET', '2022-10-01', 200]]);
    expect(arm.contractViolations).toEqual([]);
    // The contract is really consulted: a list whose table has a plan the spec does not know breaks it.
    const check = armContract().checkRequest({
      method: 'GET',
      path: listed[0].path,
      query: { 'api-version': '2022-10-01' },
      body: undefined,
      apiVersion: '2022-10-01',
    });
    expect(check).toMatchObject({ operationId: 'Tables_ListByWorkspace', errors: [] });
    expect(
      armContract().checkResponse(check.operation!, 200, { value: [{ name: 'X', properties: { plan: 'Cheap' } }] }),
    ).toEqual([expect.stringMatching(/plan must be equal to one of the allowed values \(Basic, Analytics\)/)]);
  });

  it('writes every hunt, with a warning, when the tables cannot be read', async () => {
    arm.failAlways({ match: (r) => r.operation === 'listTables', status: 403, code: 'AuthorizationFailed' });
    const result = await publish(manyIocs(20), stores(), OPTIONS);
    expect(result.skippedHunts).toEqual([]);
    expect(tablesOfSearches()).toEqual(expect.arrayContaining(['DeviceNetworkEvents']));
  });
});
