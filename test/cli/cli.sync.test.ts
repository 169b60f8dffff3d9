import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAKE_ARM_TOKEN } from '../fakes/armServer';
import { FAKE_AUTH_KEY, NETSUPPORT, seedRecords } from '../fakes/threatfoxServer';
import { jsonSummary, runCli, useCliFakes } from '../support/cli';

const MSI_SECRET = 'msi-header-secret-for-tests';

/** The CLI writing to Sentinel end to end: fake ThreatFox in, fake ARM (HTTPS) out, as a child process. */
describe('CLI sync to Sentinel', () => {
  const netsupport = seedRecords().filter((r) => r.malware === NETSUPPORT);
  const fakes = useCliFakes({ dirPrefix: 'tfss-sync-', msiSecret: MSI_SECRET, env: { ARM_MAX_RETRIES: '20' } });

  it('first run creates one indicator per IOC and the hunting queries; output files match', async () => {
    const out = join(fakes.dir, 'out1');
    const run = await runCli(['--out', out, '--json'], fakes.env);
    expect(run.code).toBe(0);
    const summary = jsonSummary(run);
    expect(summary.indicators).toMatchObject({ created: netsupport.length, updated: 0, failed: 0 });
    // One saved search per table (the ThreatIntelIndicators form) and the NetSupport behaviour hunts.
    expect(summary.huntingQueries).toMatchObject({ created: 19, failed: 0 });
    expect(fakes.arm.indicators.size).toBe(netsupport.length);
    expect(fakes.arm.savedSearches.size).toBe(19);
    // The bearer token came from the managed-identity endpoint, for the ARM scope.
    expect(fakes.arm.msiRequests.length).toBeGreaterThan(0);
    expect(fakes.arm.requests.every((r) => r.status !== 401)).toBe(true); // the fake refuses any other bearer token
    expect(
      fakes.arm.requests
        .filter((r) => r.path.includes('threatIntelligence'))
        .every((r) => r.query['api-version'] === '2025-09-01'),
    ).toBe(true);

    const written = JSON.parse(await readFile(join(out, 'indicators.json'), 'utf8'));
    expect(written).toHaveLength(netsupport.length);
    const kql = (await readdir(join(out, 'hunting-queries'))).filter((f) => f.endsWith('.kql'));
    // The exported .kql files are the inline form of the same saved searches (same ids; no part needed for this feed).
    expect([...fakes.arm.savedSearches.keys()]).toEqual(expect.arrayContaining(kql.map((f) => f.replace('.kql', ''))));
    expect(
      [...fakes.arm.savedSearches.values()]
        .filter((s) => !String(s.properties.query).includes('behaviour hunt'))
        .every((s) => String(s.properties.query).includes('ThreatIntelIndicators')),
    ).toBe(true);
    expect(run.stdout + run.stderr).not.toContain(FAKE_AUTH_KEY);
    expect(run.stdout + run.stderr).not.toContain(FAKE_ARM_TOKEN);
  });

  it('second run over the same feed writes nothing', async () => {
    fakes.arm.clearRequests();
    const run = await runCli(['--json'], fakes.env);
    expect(run.code).toBe(0);
    expect(jsonSummary(run).indicators).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: netsupport.length,
      failed: 0,
    });
    expect(jsonSummary(run).huntingQueries).toMatchObject({ created: 0, updated: 0, unchanged: 19 });
    expect(fakes.arm.writes()).toEqual([]);
  });

  it('a run under a 429 storm still lands everything', async () => {
    const pasted = Array.from({ length: 40 }, (_, i) => `storm-${i}[.]example[.]org`).join('\n');
    const input = join(fakes.dir, 'storm.txt');
    await writeFile(input, pasted);
    fakes.arm.failNext({
      status: 429,
      times: 60,
      retryAfterMs: 20,
      retryAfterSeconds: 1,
      match: (r) => r.method !== 'GET' && r.operation !== 'queryIndicators',
    });
    const before = fakes.arm.indicators.size;
    const run = await runCli(['--input', input, '--malware', NETSUPPORT, '--json'], fakes.env);
    expect(run.code).toBe(0);
    expect(jsonSummary(run).indicators).toMatchObject({ created: 40, failed: 0 });
    expect(fakes.arm.indicators.size).toBe(before + 40);
    expect(fakes.arm.writes().filter((w) => w.status === 429).length).toBeGreaterThan(0);
  }, 120_000);

  it('exits 2 and names the item when a write keeps failing', async () => {
    const input = join(fakes.dir, 'doomed.txt');
    await writeFile(input, 'doomed[.]example[.]org\nfine[.]example[.]org\n');
    fakes.arm.failAlways({
      status: 500,
      match: (r) => r.operation === 'createIndicator' && JSON.stringify(r.body).includes('doomed'),
    });
    try {
      const run = await runCli(['--input', input, '--malware', NETSUPPORT, '--json'], {
        ...fakes.env,
        ARM_MAX_RETRIES: '1',
      });
      expect(run.code).toBe(2);
      expect(jsonSummary(run).indicators).toMatchObject({ created: 1, failed: 1 });
      expect(run.stderr).toContain('doomed.example.org');
    } finally {
      fakes.arm.clearFaults();
    }
  }, 60_000);
});
