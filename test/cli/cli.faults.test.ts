import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toIndicator } from '../../lib/sentinel/indicator';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { armEnv, jsonSummary, runCli } from '../support/cli';

/** Issue 9, items 2 and 3, as a user meets them: the CLI against a misbehaving fake ARM. */

const MSI_SECRET = 'msi-header-secret-for-fault-tests';
const DOMAINS = Array.from({ length: 7 }, (_, i) => `c2-${i}.example.net`);

describe('CLI against a misbehaving ARM', () => {
  let arm: ArmFake | undefined;
  let dir: string;
  let input: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tfss-faults-'));
    input = join(dir, 'iocs.txt');
    await writeFile(input, `${DOMAINS.join('\n')}\n`);
  });
  afterEach(async () => {
    await arm?.close();
    arm = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a request that never answers: the run ends at its deadline with exit 2, the unfinished counted as failed', async () => {
    arm = await startArmFake({ msiHeader: MSI_SECRET });
    arm.failAlways({
      hang: true,
      match: (r) => r.operation === 'createIndicator' && JSON.stringify(r.body).includes('c2-3.example.net'),
    });
    const env = {
      ...(await armEnv(arm, MSI_SECRET, dir)),
      RUN_DEADLINE_SECONDS: '2',
      ARM_TIMEOUT_MS: '300000',
      LOG_LEVEL: 'silent',
    };
    const run = await runCli(['--input', input, '--malware', 'win.netsupportmanager_rat', '--json'], env);
    expect(run.code).toBe(2);
    const summary = jsonSummary(run);
    expect(summary.indicators).toMatchObject({ created: DOMAINS.length - 1, failed: 1 });
    // It stopped at the deadline, not at the 300 s request timeout (and not never).
    expect(summary.durationMs).toBeGreaterThanOrEqual(2000);
    expect(summary.durationMs).toBeLessThan(2000 + 8000);
    expect(arm.indicators.size).toBe(DOMAINS.length - 1);
  });

  it('a repeated page: exit 2, nothing created or deleted', async () => {
    arm = await startArmFake({ msiHeader: MSI_SECRET, maxPageSize: 2, queryPaging: { replay: { page: 2, as: 1 } } });
    const now = new Date();
    for (const value of DOMAINS.slice(0, 6)) {
      arm.seedIndicator(
        toIndicator(
          { type: 'domain', value, malware: 'win.netsupportmanager_rat' },
          { source: 'ThreatFox', ttlDays: 30, now },
        ),
      );
    }
    const env = { ...(await armEnv(arm, MSI_SECRET, dir)), LOG_LEVEL: 'silent' };
    const run = await runCli(['--input', input, '--malware', 'win.netsupportmanager_rat', '--json'], env);
    expect(run.code).toBe(2);
    expect(arm.writes()).toEqual([]);
    expect(arm.indicators.size).toBe(6);
  });
});
