import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toIndicator } from '../support/indicators';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { armEnv, jsonSummary, runCli } from '../support/cli';

/** Issue 9, items 2 and 3, as a user meets them: the CLI against a misbehaving fake ARM. */

const MSI_SECRET = 'msi-header-secret-for-fault-tests';
const DOMAINS = Array.from({ length: 7 }, (_, i) => `c2-${i}.example.net`);
/** Our indicator for `value` as a run an hour ago left it. */
const earlier = (value: string) => ({
  ...toIndicator(
    { type: 'domain', value, malware: 'win.netsupportmanager_rat' },
    { source: 'ThreatFox', ttlDays: 30, now: new Date() },
  ),
  created: new Date(Date.now() - 3_600_000).toISOString(),
});

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
      // Room for the reads before the writes (queryIndicators, metrics) on a loaded machine.
      RUN_DEADLINE_SECONDS: '5',
      ARM_TIMEOUT_MS: '300000',
      LOG_LEVEL: 'silent',
    };
    const run = await runCli(['--input', input, '--malware', 'win.netsupportmanager_rat', '--json'], env);
    expect(run.code).toBe(2);
    const summary = jsonSummary(run);
    expect(summary.indicators).toMatchObject({ created: DOMAINS.length - 1, failed: 1 });
    // It stopped at the deadline, not at the 300 s request timeout (and not never).
    expect(summary.durationMs).toBeGreaterThanOrEqual(5000);
    expect(summary.durationMs).toBeLessThan(5000 + 8000);
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

  it('a listing that ends early (a last page without its nextLink): exit 2, nothing created or deleted, the counts named', async () => {
    arm = await startArmFake({
      msiHeader: MSI_SECRET,
      maxPageSize: 2,
      queryPaging: { replay: { page: 1, as: 1, dropNextLink: true } },
    });
    for (const value of DOMAINS.slice(0, 6)) arm.seedIndicator(earlier(value));
    const env = { ...(await armEnv(arm, MSI_SECRET, dir)), LOG_LEVEL: 'silent' };
    const run = await runCli(['--input', input, '--malware', 'win.netsupportmanager_rat', '--json'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ended early: the first read listed 4 indicators, a second read 6 .* metrics count 6/);
    expect(arm.writes()).toEqual([]);
    expect(arm.indicators.size).toBe(6);
  });

  it('right after deletes, with the metrics lagging behind them: the run succeeds (exit 0)', async () => {
    arm = await startArmFake({ msiHeader: MSI_SECRET, maxPageSize: 2 });
    const gone = ['old-1.example.net', 'old-2.example.net'].map((v) => arm!.seedIndicator(earlier(v)));
    for (const value of DOMAINS.slice(0, 6)) arm.seedIndicator(earlier(value));
    arm.snapshotMetrics(); // counts 8
    for (const name of gone) arm.indicators.delete(name);
    const env = { ...(await armEnv(arm, MSI_SECRET, dir)), LOG_LEVEL: 'silent' };
    const run = await runCli(['--input', input, '--malware', 'win.netsupportmanager_rat', '--json'], env);
    expect(run.code).toBe(0);
    expect(jsonSummary(run).indicators).toMatchObject({ created: 1, deleted: 0, failed: 0 });
    expect(arm.indicators.size).toBe(7);
  });
});
