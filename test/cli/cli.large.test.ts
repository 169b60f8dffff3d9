import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bigThreatFoxAnswer } from '../support/bigFeed';
import { execFile } from 'node:child_process';
import { cliNodeFlags } from '../bench/cliNodeFlags';
import { CLI, jsonSummary, type CliRun } from '../support/cli';

/**
 * Like runCli, with room for a slow machine (100k IOCs take a minute or two on a busy 2-core box),
 * and with the node flags of `npm run sync`: 100k IOCs must complete within the heap cap users run with.
 */
function runBigCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cliNodeFlags(), CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error' }, timeout: 280_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const N = 100_000;

/** Top-level items of a file written as JSON.stringify(array, null, 2): lines that open an item. */
async function countItems(path: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path) })) if (line === '  {') n++;
  return n;
}

describe('100k IOCs through the CLI (dry run with --out)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-100k-'));
    await writeFile(join(dir, 'feed.json'), bigThreatFoxAnswer(N));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('completes and writes every file: no stack overflow in the report, indicators.json streamed', async () => {
    const out = join(dir, 'out');
    const run = await runBigCli(['--dry-run', '--json', '--input', join(dir, 'feed.json'), '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(jsonSummary(run)).toMatchObject({ read: N, iocs: N, rejected: 0, indicators: { planned: N } });
    expect(await countItems(join(out, 'indicators.json'))).toBe(N);
    expect(await countItems(join(out, 'iocs.json'))).toBe(N);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain(`| IOCs | ${N}: `);
    expect(report).toContain('| Confidence | 50% to 100% |');
    expect(report.split('\n').filter((l) => l.startsWith('| domain | c2-')).length).toBe(N / 4);
  }, 300_000);
});
