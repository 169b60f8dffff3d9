import { constants, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { access, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { reportLines } from './render/report';
import { renderHuntingYaml } from './render/sentinelYaml';
import { inputError } from './errors';
import type { Ioc } from './ioc/types';
import { withoutHuntedHost } from './ioc/urlHost';
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

/** What we write into hunting-queries/: the saved-search id (lib/kql/huntingQuery.ts) + .kql or .yaml. */
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
      if (!info.isDirectory())
        throw bad(path === resolve(dir) ? 'is a file, not a directory' : `${path} is a file, not a directory`);
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
 * anything else a user put there. The big files are written one item at a time, one file after
 * the other: 100k indicators as one JSON string would hold a second copy of them (about 120 MB).
 */
export async function writeOutputs(
  dir: string,
  result: SyncResult,
  generatedAt: Date,
  options: { ttlDays?: number } = {},
): Promise<{ written: string[]; removed: string[] }> {
  const queriesDir = join(dir, OUT_FILES.huntingQueries);
  await mkdir(queriesDir, { recursive: true });
  const s = result.summary;
  await writeJsonArray(join(dir, OUT_FILES.iocs), asRead(result.iocs));
  await writeJsonArray(join(dir, OUT_FILES.rejected), result.rejected);
  await writeJsonArray(join(dir, OUT_FILES.indicators), result.plan.indicators);
  await writeLines(join(dir, OUT_FILES.summary), [JSON.stringify(s, null, 2)]);
  await writeLines(
    join(dir, OUT_FILES.report),
    reportLines(result.iocs, result.plan.huntingQueries, {
      generatedAt,
      dryRun: s.dryRun,
      indicators: s.indicators,
      ttlDays: options.ttlDays,
      savedSearches: s.huntingQueries.savedSearches,
      lifecycle: s.lifecycle,
      skippedHunts: s.skippedHunts,
    }),
  );
  const written: string[] = [
    OUT_FILES.iocs,
    OUT_FILES.rejected,
    OUT_FILES.indicators,
    OUT_FILES.summary,
    OUT_FILES.report,
  ];
  // One query file at a time, rendered as it is written: 100k IOCs make thousands of parts.
  const queryFiles = new Set<string>();
  for (const q of result.plan.huntingQueries) {
    const kql = join(OUT_FILES.huntingQueries, `${q.id}.kql`);
    const yaml = join(OUT_FILES.huntingQueries, `${q.id}.yaml`);
    await writeFile(join(dir, kql), q.query.endsWith('\n') ? q.query : `${q.query}\n`, 'utf8');
    await writeFile(join(dir, yaml), renderHuntingYaml(q), 'utf8');
    written.push(kql, yaml);
    queryFiles.add(`${q.id}.kql`).add(`${q.id}.yaml`);
  }
  const stale = (await readdir(queriesDir, { withFileTypes: true })).filter(
    (e) => e.isFile() && OUR_QUERY_FILE.test(e.name) && !queryFiles.has(e.name),
  );
  await Promise.all(stale.map((e) => unlink(join(queriesDir, e.name))));
  return {
    written: written.map((name) => join(dir, name)),
    removed: stale.map((e) => join(queriesDir, e.name)),
  };
}

/** iocs.json's items, one at a time (a mapped copy of 100k IOCs would be held whole). */
function* asRead(iocs: readonly Ioc[]): Generator<Omit<Ioc, 'huntedHost'>> {
  for (const ioc of iocs) yield withoutHuntedHost(ioc);
}

/** Bytes gathered before each write: few syscalls, little memory. */
const CHUNK_CHARS = 256 * 1024;

/**
 * `JSON.stringify(items, null, 2)` plus a newline, byte for byte, written item by item with
 * backpressure, so only one item's text is in memory at a time.
 */
export async function writeJsonArray(path: string, items: Iterable<unknown>): Promise<void> {
  await writeChunked(path, jsonArrayPieces(items));
}

function* jsonArrayPieces(items: Iterable<unknown>): Generator<string> {
  let first = true;
  for (const item of items) {
    // An item JSON.stringify would skip in an array is written as null, as it does.
    const json = JSON.stringify(item, null, 2) ?? 'null';
    yield `${first ? '[\n  ' : ',\n  '}${json.replace(/\n/g, '\n  ')}`;
    first = false;
  }
  yield `${first ? '[]' : '\n]'}\n`;
}

/** Each line followed by a newline, written as the lines come. */
export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  await writeChunked(
    path,
    (function* () {
      for (const line of lines) yield `${line}\n`;
    })(),
  );
}

/** Writes the pieces in order, gathered into chunks, with backpressure. */
async function writeChunked(path: string, pieces: Iterable<string>): Promise<void> {
  const stream = createWriteStream(path, { encoding: 'utf8' });
  const failed = once(stream, 'error').then(([e]) => {
    throw e;
  });
  failed.catch(() => undefined); // observed below; never an unhandled rejection
  const write = async (text: string) => {
    if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
  };
  let chunk = '';
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  stream.end();
  await Promise.race([once(stream, 'close'), failed]);
}
