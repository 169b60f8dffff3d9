import { constants } from 'node:fs';
import { access, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { renderReport } from './content/report';
import { renderHuntingYaml } from './content/sentinelYaml';
import { inputError } from './errors';
import type { SyncResult } from './pipeline';

/** File names under --out: a contract with users' scripts, keep them stable. */
export const OUT_FILES = {
  iocs: 'iocs.json',
  rejected: 'rejected.json',
  indicators: 'indicators.json',
  summary: 'summary.json',
  report: 'report.md',
  huntingQueries: 'hunting-queries',
} as const;

/** What we write into hunting-queries/: the saved-search id (lib/kql/huntingQueries.ts) + .kql or .yaml. */
const OUR_QUERY_FILE = /^threatfox-[a-z0-9-]+\.(?:kql|yaml)$/;

/**
 * Checks --out before anything else happens (no ThreatFox call, no Azure write), so a typo costs
 * nothing: the folder must be a writable directory, or not exist yet under a writable directory.
 * Throws a SyncError('INPUT') naming --out.
 */
export async function checkOutDir(dir: string): Promise<void> {
  const bad = (why: string) => inputError(`--out ${dir}: ${why}`, '--out');
  let path = resolve(dir);
  for (;;) {
    const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined; // look at the parent
      throw bad(`cannot be checked (${e.code ?? e.message})`);
    });
    if (info) {
      if (!info.isDirectory()) throw bad(path === resolve(dir) ? 'is a file, not a directory' : `${path} is a file, not a directory`);
      await access(path, constants.W_OK | constants.X_OK).catch(() => {
        throw bad(path === resolve(dir) ? 'is not writable' : `cannot be created: ${path} is not writable`);
      });
      const queries = join(resolve(dir), OUT_FILES.huntingQueries);
      if (path === resolve(dir)) {
        const q = await stat(queries).catch(() => undefined);
        if (q && !q.isDirectory()) throw bad(`${queries} is a file, not a directory`);
      }
      return;
    }
    const parent = dirname(path);
    if (parent === path) throw bad('no existing parent directory');
    path = parent;
  }
}

/**
 * Writes what the run read, rejected and planned, so a user sees exactly what goes (or went) to
 * Sentinel. Hunting-query files an earlier run left in `hunting-queries/` that this run did not
 * write are removed, so the folder is this run's queries; only files named as we name them, never
 * anything else a user put there.
 */
export async function writeOutputs(dir: string, result: SyncResult, generatedAt: Date, options: { ttlDays?: number } = {}): Promise<{ written: string[]; removed: string[] }> {
  const queriesDir = join(dir, OUT_FILES.huntingQueries);
  await mkdir(queriesDir, { recursive: true });
  const s = result.summary;
  const files: Array<[string, string]> = [
    [OUT_FILES.iocs, json(result.iocs)],
    [OUT_FILES.rejected, json(result.rejected)],
    [OUT_FILES.indicators, json(result.plan.indicators)],
    [OUT_FILES.summary, json(s)],
    [OUT_FILES.report, renderReport(result.iocs, result.plan.huntingQueries, { generatedAt, dryRun: s.dryRun, indicators: s.indicators, ttlDays: options.ttlDays })],
  ];
  const queryFiles = new Set<string>();
  for (const q of result.plan.huntingQueries) {
    files.push([join(OUT_FILES.huntingQueries, `${q.id}.kql`), q.query.endsWith('\n') ? q.query : `${q.query}\n`]);
    files.push([join(OUT_FILES.huntingQueries, `${q.id}.yaml`), renderHuntingYaml(q)]);
    queryFiles.add(`${q.id}.kql`).add(`${q.id}.yaml`);
  }
  await Promise.all(files.map(([name, text]) => writeFile(join(dir, name), text, 'utf8')));
  const stale = (await readdir(queriesDir, { withFileTypes: true })).filter((e) => e.isFile() && OUR_QUERY_FILE.test(e.name) && !queryFiles.has(e.name));
  await Promise.all(stale.map((e) => unlink(join(queriesDir, e.name))));
  return { written: files.map(([name]) => join(dir, name)), removed: stale.map((e) => join(queriesDir, e.name)) };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
