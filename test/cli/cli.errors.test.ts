import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { armEnv, runCli } from '../support/cli';

const MSI_SECRET = 'msi-header-secret-for-error-tests';
const REFUSED_TOKEN = 'msi-token-that-arm-refuses-0123456789';
const ACCEPTED_TOKEN = 'the-only-token-arm-accepts-abcdef';

/** The CLI's answers to setup mistakes: exit 1 and a message saying what to fix, never a bare "sync failed". */
describe('CLI setup errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tfss-errors-'));
    await writeFile(join(dir, 'iocs.txt'), 'evil-c2[.]com\n91[.]92[.]34[.]228[:]443\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a LOG_LEVEL pino does not know is a settings error naming LOG_LEVEL (exit 1), not a silent crash', async () => {
    const run = await runCli(['--dry-run', '--input', join(dir, 'iocs.txt')], { LOG_LEVEL: 'Information' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got \\?"Information\\?"\)/,
    );
    expect(run.stdout).toBe('');
  });

  it('LOG_LEVEL is case-insensitive', async () => {
    const run = await runCli(
      ['--dry-run', '--input', join(dir, 'iocs.txt'), '--malware', 'win.netsupportmanager_rat'],
      { LOG_LEVEL: 'WARN' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Dry run: 2 IOCs/);
  });

  describe('Azure refusing the login', () => {
    let arm: ArmFake;
    let env: Record<string, string>;
    beforeAll(async () => {
      // The managed-identity endpoint hands out a token ARM does not accept: ARM answers 401.
      arm = await startArmFake({ msiHeader: MSI_SECRET, token: ACCEPTED_TOKEN, msiToken: REFUSED_TOKEN });
      env = { ...(await armEnv(arm, MSI_SECRET, dir)), ARM_MAX_RETRIES: '0' };
    });
    afterAll(() => arm?.close());

    it('an ARM 401 exits 1 with how to sign in, and no token or header in the output', async () => {
      const run = await runCli(['--input', join(dir, 'iocs.txt'), '--malware', 'win.netsupportmanager_rat'], env);
      expect(arm.msiRequests.map((r) => r.status)).toContain(200);
      expect(arm.requests.length).toBeGreaterThan(0);
      expect(arm.requests.every((r) => r.status === 401)).toBe(true);
      expect(arm.indicators.size).toBe(0);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Azure Resource Manager refused the token \(HTTP 401 InvalidAuthenticationToken/);
      expect(run.stderr).toMatch(/az login/);
      expect(run.stderr).toMatch(/AZURE_TOKEN_CREDENTIALS/);
      expect(run.stderr).not.toMatch(/sync failed/);
      const output = run.stdout + run.stderr;
      expect(output).not.toContain(REFUSED_TOKEN);
      expect(output).not.toContain(ACCEPTED_TOKEN);
      expect(output).not.toContain(MSI_SECRET);
      expect(output).not.toMatch(/Bearer|authorization/i);
    });

    it('a managed-identity endpoint that refuses us exits 1 with how to sign in', async () => {
      const run = await runCli(['--input', join(dir, 'iocs.txt'), '--malware', 'win.netsupportmanager_rat'], {
        ...env,
        IDENTITY_HEADER: 'wrong-identity-header',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /Azure login failed \((CredentialUnavailableError|AuthenticationError|AggregateAuthenticationError)/,
      );
      expect(run.stderr).toMatch(/az login/);
      // The same one short line as `npm run check` gives: the SDK's reasons only at LOG_LEVEL=debug.
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^error: Azure login failed \(\w+\): sign in with `az login`/),
      ]);
      expect(run.stderr.length).toBeLessThan(250);
      expect(run.stdout + run.stderr).not.toContain('wrong-identity-header');
    });
  });
});
