import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real Azurite (the npm package) for tests: blob, queue and table on 127.0.0.1, ports chosen by
 * the OS, data in memory, no telemetry. It runs in a child process that exits as soon as its parent
 * goes away (IPC disconnect), so a crashed or killed jest worker leaves nothing behind.
 *
 *   const azurite = useAzurite();            // in a describe: starts in beforeAll, stops in afterAll
 *   azurite().connectionString
 */

/** The emulator's well-known account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Give up starting after this long (default 30 s: a cold CI box loads Azurite slowly). */
  startTimeoutMs?: number;
}

/**
 * Runs Azurite's own entry point inside a small wrapper that ties the emulator's life to ours: when
 * the IPC channel to the test process closes (stop(), or the test process died) it removes its
 * scratch directory and exits. `--` separates Node's options from Azurite's.
 */
const WRAPPER = `
process.on('disconnect', () => {
  try { require('fs').rmSync(process.cwd(), { recursive: true, force: true }); } catch {}
  process.exit(0);
});
const entry = process.argv[1];
process.argv = [process.argv[0], entry, ...process.argv.slice(2)];
require(entry);
`;

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const entry = require.resolve('azurite/dist/src/azurite.js');
  // Azurite writes nothing with in-memory persistence and telemetry off, but give it a scratch
  // directory as its working directory anyway, so nothing can land in the repo.
  const workDir = mkdtempSync(path.join(tmpdir(), 'azurite-'));
  const args = [
    '-e',
    WRAPPER,
    '--',
    entry,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    '0',
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    '0',
    '--inMemoryPersistence',
    '--extentMemoryLimit',
    '256',
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
  ];
  const child = spawn(process.execPath, args, {
    cwd: workDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });

  // If the test process exits without stop(), the IPC channel closes and the wrapper exits;
  // this is the belt to that pair of braces for a normal exit.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const cleanUp = () => {
    process.removeListener('exit', killOnExit);
    rmSync(workDir, { recursive: true, force: true });
  };

  let endpoints: Record<string, string>;
  try {
    endpoints = await waitForEndpoints(child, options.startTimeoutMs ?? 30_000);
    await Promise.all(Object.values(endpoints).map(waitUntilAnswering));
  } catch (e) {
    await stopChild(child);
    cleanUp();
    throw e;
  }

  const blobEndpoint = `${endpoints.Blob}/${DEV_ACCOUNT}`;
  const queueEndpoint = `${endpoints.Queue}/${DEV_ACCOUNT}`;
  const tableEndpoint = `${endpoints.Table}/${DEV_ACCOUNT}`;
  let stopped: Promise<void> | undefined;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    stop: () => (stopped ??= stopChild(child).finally(cleanUp)),
  };
}

/** Registers start/stop around the enclosing describe (or file) and hands back the running instance. */
export function useAzurite(options: AzuriteOptions = {}): () => Azurite {
  let azurite: Azurite | undefined;
  beforeAll(
    async () => {
      azurite = await startAzurite(options);
    },
    (options.startTimeoutMs ?? 30_000) + 5_000,
  );
  afterAll(async () => {
    await azurite?.stop();
  });
  return () => {
    if (!azurite) throw new Error('Azurite is not running (use the accessor inside a test or hook)');
    return azurite;
  };
}

function waitForEndpoints(child: ChildProcess, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const found: Record<string, string> = {};
    let output = '';
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`Azurite did not start: ${why}\n${output.slice(-4000)}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const m = LISTENING.exec(line);
        if (m) found[m[1]] = m[2].replace(/\/+$/, '');
      }
      if (found.Blob && found.Queue && found.Table) {
        cleanup();
        resolve(found);
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited with ${signal ?? code}`);
    const onError = (e: Error) => fail(e.message);
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining so a chatty emulator never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Any HTTP answer (Azurite says 400 to a bare GET) proves the listener serves requests. */
async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(endpoint, { agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(2_000, () => req.destroy());
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Azurite at ${endpoint} does not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Disconnecting makes the wrapper exit at once; SIGKILL if it has not after a few seconds. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}
