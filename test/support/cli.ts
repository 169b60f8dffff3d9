import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArmFake, type ArmFake, type FakeWorkspace } from '../fakes/armServer';
import { FAKE_AUTH_KEY, SEED_NOW, seedRecords, startThreatFoxFake, type ThreatFoxFake } from '../fakes/threatfoxServer';

export const CLI = join(__dirname, '..', '..', 'dist', 'lib', 'cli.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would (`npm test` compiles first). The child gets a clean environment:
 * only what the test passes, so no Azure login or setting of the developer's machine leaks in.
 */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** The `--json` summary: the last line of stdout. */
export function jsonSummary(run: CliRun): Record<string, any> {
  const lines = run.stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * Environment that points the CLI at a fake ARM (test/fakes/armServer.ts started with `msiHeader`):
 * the managed-identity credential selected explicitly, on the App Service protocol, at the fake's
 * token endpoint, so nothing probes IMDS or any other host; the fake's CA trusted via a file.
 */
export async function armEnv(
  arm: { url: string; ca: string; msiEndpoint?: string },
  msiHeader: string,
  dir: string,
): Promise<Record<string, string>> {
  if (!arm.msiEndpoint) throw new Error('start the fake ARM with { msiHeader } for the CLI');
  const caFile = join(dir, 'arm-ca.pem');
  await writeFile(caFile, arm.ca);
  return {
    AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
    SENTINEL_RESOURCE_GROUP: 'rg-soc',
    SENTINEL_WORKSPACE_NAME: 'law-sentinel',
    AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
    AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    IDENTITY_ENDPOINT: arm.msiEndpoint,
    IDENTITY_HEADER: msiHeader,
    NODE_EXTRA_CA_CERTS: caFile,
  };
}

/** What a CLI suite runs against; filled in before its first test. */
export interface CliFakes {
  threatfox: ThreatFoxFake;
  arm: ArmFake;
  /** The suite's own temporary folder (removed after it). */
  dir: string;
  /** The CLI's environment: the fake ARM (armEnv), the fake ThreatFox and its Auth-Key, then `options.env`. */
  env: Record<string, string>;
}

/**
 * A CLI suite's set-up in one call: a fake ThreatFox serving the seed records, a fake ARM with its
 * managed-identity endpoint, a temporary folder and the environment that points the CLI at them;
 * started before the suite's first test, closed and removed after its last.
 */
export function useCliFakes(options: {
  /** The temporary folder's name prefix, e.g. `tfss-input-`. */
  dirPrefix: string;
  /** The fake's managed-identity header secret (a test may check it never shows). */
  msiSecret: string;
  env?: Record<string, string>;
  /** The fake ARM's workspaces (default: any workspace, with every table the hunts read). */
  workspaces?: FakeWorkspace[];
}): CliFakes {
  const fakes = {} as CliFakes;
  beforeAll(async () => {
    fakes.dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
    fakes.threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    fakes.arm = await startArmFake({ msiHeader: options.msiSecret, workspaces: options.workspaces });
    fakes.env = {
      ...(await armEnv(fakes.arm, options.msiSecret, fakes.dir)),
      THREATFOX_API_URL: fakes.threatfox.url,
      THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
      ...options.env,
    };
  });
  afterAll(async () => {
    await Promise.all([fakes.threatfox?.close(), fakes.arm?.close()]);
    if (fakes.dir) await rm(fakes.dir, { recursive: true, force: true });
  });
  return fakes;
}
