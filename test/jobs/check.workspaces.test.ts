import { runCheck } from '../../lib/jobs/check';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import {
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { staticCredential } from '../sentinel/harness';

const SUB = '11111111-2222-3333-4444-555555555555';
const ws = (rg: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${name}`;

/** The preflight check with SENTINEL_WORKSPACES: every workspace checked, each line naming its workspace. */
describe('preflight check over several workspaces', () => {
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;
  beforeAll(async () => {
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    arm = await startArmFake({ workspaces: [{ resourceGroup: 'rg-eu', name: 'law-eu' }] });
  });
  afterAll(async () => {
    await Promise.all([threatfox?.close(), arm?.close()]);
  });

  it('checks each listed workspace and names the one that is missing', async () => {
    const report = await runCheck({
      env: {
        THREATFOX_API_URL: threatfox.url,
        THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
        THREATFOX_MALWARE: NETSUPPORT,
        SENTINEL_WORKSPACES: `${ws('rg-eu', 'law-eu')},${ws('rg-us', 'law-us')}`,
        AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
        ARM_MAX_RETRIES: '0',
      },
      credential: staticCredential(arm.token),
      transport: { tlsCa: arm.ca },
      // The Logs query API answers every query with no rows (its own fake: check.hunts.test.ts).
      logs: { run: () => Promise.resolve({ ok: true, columns: [], rows: [] }) },
    });
    expect(report.ok).toBe(false);
    const workspaceLines = report.lines.filter((l) => l.id === 'workspace');
    expect(workspaceLines.map((l) => [l.ok, l.detail.split(':')[0]])).toEqual([
      [true, 'rg-eu/law-eu'],
      [false, 'rg-us/law-us'],
    ]);
    expect(workspaceLines[1].fix).toMatch(/check this entry of SENTINEL_WORKSPACES/);
    expect(report.lines.filter((l) => l.detail.startsWith('rg-eu/law-eu')).every((l) => l.ok)).toBe(true);
    expect(report.lines.filter((l) => l.id === 'ti-table').map((l) => l.detail)).toEqual([
      expect.stringMatching(/^rg-eu\/law-eu: present/),
      expect.stringMatching(/^rg-us\/law-us: not checked/),
    ]);
    expect(arm.writes()).toEqual([]);
  });
});
