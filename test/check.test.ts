import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { primeLogsFake, startLogsFake, type LogsFake } from './fakes/logsServer';
import { NETSUPPORT } from './fakes/threatfoxServer';
import { type CliRun, useCliFakes } from './support/cli';

const CHECK = join(__dirname, '..', 'dist', 'lib', 'check.js');
const MSI_SECRET = 'msi-header-secret-for-check-tests';

/** `npm run check` as a user runs it: the built entry, a clean environment (only what the test passes). */
function runCheckCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  if (!existsSync(CHECK)) throw new Error(`${CHECK} is missing: run "npm run build" (npm test does it first)`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CHECK, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm run check (the built CLI entry)', () => {
  // The managed-identity protocol at the fake's endpoint: DefaultAzureCredential, narrowed to
  // ManagedIdentityCredential, gets the fake's token from loopback and probes nothing else.
  const fakes = useCliFakes({
    dirPrefix: 'tfss-check-',
    msiSecret: MSI_SECRET,
    env: { THREATFOX_MALWARE: NETSUPPORT, ARM_MAX_RETRIES: '0' },
  });
  // The Logs query API the check runs the hunts through, taking the token the managed identity hands out.
  let logs: LogsFake;
  beforeAll(async () => {
    logs = await startLogsFake({ token: fakes.arm.token });
    fakes.env.LOG_ANALYTICS_ENDPOINT = logs.url;
    primeLogsFake(fakes.env);
  }, 300_000);
  afterAll(() => logs?.close());

  it('exits 0 with a ✓ per line when everything is in place, having written nothing', async () => {
    const run = await runCheckCli([], fakes.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('✗ '))).toEqual([]);
    expect(lines.filter((l) => /^✓ Hunt \S+ +runs \(0 rows in the last hour\)/.test(l)).length).toBeGreaterThanOrEqual(
      11,
    );
    expect(run.stdout).toMatch(/^✓ Hunts see our indicators +hunts see 0 of 0 of our active indicators$/m);
    expect(logs.requests.length).toBeGreaterThan(11);
    expect(logs.requests.every((r) => r.status === 200)).toBe(true);
    expect(run.stdout).toMatch(
      /^✓ Azure login +token for https:\/\/127\.0\.0\.1:\d+ obtained \(AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential\)$/m,
    );
    expect(run.stdout).toMatch(/^✓ Table ThreatIntelIndicators +present/m);
    expect(lines[lines.length - 1]).toBe('All checks passed.');
    expect(fakes.arm.writes()).toEqual([]);
  });

  it('exits 1 on a wrong Auth-Key, with the fix, never echoing the key', async () => {
    const run = await runCheckCli([], { ...fakes.env, THREATFOX_AUTH_KEY: 'wrong-key-for-the-check-0001' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ ThreatFox API and Auth-Key +ThreatFox refused the Auth-Key/m);
    expect(run.stdout).toMatch(/fix: set THREATFOX_AUTH_KEY/);
    expect(run.stdout + run.stderr).not.toContain('wrong-key-for-the-check-0001');
  });

  it('exits 1 without an Azure login, saying how to sign in (Azure CLI credential, no az on PATH)', async () => {
    const emptyBin = join(fakes.dir, 'empty-bin');
    await mkdir(emptyBin, { recursive: true });
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER, ...rest } = fakes.env;
    void IDENTITY_ENDPOINT;
    void IDENTITY_HEADER;
    const run = await runCheckCli([], { ...rest, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential', PATH: emptyBin });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^✗ Azure login +no credential gave a token \((CredentialUnavailableError|AggregateAuthenticationError)\)$/m,
    );
    expect(run.stdout).toMatch(/fix: sign in with `az login`/);
    expect(run.stdout).not.toMatch(/Azure CLI could not be found/);
    // The SDK's own words: under LOG_LEVEL=debug, and in --json.
    const debug = await runCheckCli([], {
      ...rest,
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      PATH: emptyBin,
      LOG_LEVEL: 'debug',
    });
    expect(debug.stdout).toMatch(/debug: .*Azure CLI could not be found/);
    expect(run.stdout).toMatch(/^- Sentinel workspace +not checked: no Azure token$/m);
  });

  it('with nothing set, names the missing settings first in short lines, and never says they are valid', async () => {
    // No settings, no login, no identity variables: nothing to probe, nothing asked of the network.
    const run = await runCheckCli([], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^✗ Settings +not set: THREATFOX_AUTH_KEY, AZURE_SUBSCRIPTION_ID, SENTINEL_RESOURCE_GROUP, SENTINEL_WORKSPACE_NAME \(or SENTINEL_WORKSPACES\)$/,
    );
    expect(lines[1]).toMatch(/^ +fix: set them \(docs\/settings\.md\)/);
    expect(run.stdout).not.toMatch(/valid/i);
    expect(run.stdout).toMatch(/^- Azure login +not checked: no workspace configured \(see Settings\)$/m);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(200);
    // Two things to fix (the settings, the Auth-Key); the rest waits for them.
    expect(lines.filter((l) => l.startsWith('✗ ')).length).toBe(2);
    expect(lines[lines.length - 1]).toBe('2 of 13 checks failed, 11 not checked.');
  });

  it('prints the report as JSON with --json, and usage for an unknown option (exit 1)', async () => {
    const json = await runCheckCli(['--json'], fakes.env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; lines: { id: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect([...new Set(report.lines.map((l) => l.id))]).toEqual([
      'settings',
      'threatfox',
      'families',
      'azure-login',
      'workspace',
      'indicators',
      'saved-searches',
      'write-access',
      'ti-table',
      'hunt-tables',
      'logs-query',
      'hunts',
      'ti-visibility',
    ]);
    const bad = await runCheckCli(['--fix'], fakes.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Unknown option '--fix'[\s\S]*Usage: npm run check/);
  });
});
