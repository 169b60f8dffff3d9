import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { renderReport } from './content/report';
import { renderHuntingYaml } from './content/sentinelYaml';
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

/**
 * Writes what the run read, rejected and planned, so a user sees exactly what goes (or went) to
 * Sentinel. The big files are written one item at a time, one file after the other: 100k
 * indicators as a single JSON string would hold a second copy of them in memory (about 120 MB).
 */
export async function writeOutputs(dir: string, result: SyncResult, generatedAt: Date): Promise<string[]> {
  const queriesDir = join(dir, OUT_FILES.huntingQueries);
  await mkdir(queriesDir, { recursive: true });
  const written: string[] = [];
  const path = (name: string) => {
    written.push(join(dir, name));
    return join(dir, name);
  };
  await writeJsonArray(path(OUT_FILES.iocs), result.iocs);
  await writeJsonArray(path(OUT_FILES.rejected), result.rejected);
  await writeJsonArray(path(OUT_FILES.indicators), result.plan.indicators);
  await writeFile(path(OUT_FILES.summary), `${JSON.stringify(result.summary, null, 2)}\n`, 'utf8');
  await writeFile(path(OUT_FILES.report), renderReport(result.iocs, result.plan.huntingQueries, { generatedAt }), 'utf8');
  for (const q of result.plan.huntingQueries) {
    await writeFile(path(join(OUT_FILES.huntingQueries, `${q.id}.kql`)), q.query.endsWith('\n') ? q.query : `${q.query}\n`, 'utf8');
    await writeFile(path(join(OUT_FILES.huntingQueries, `${q.id}.yaml`)), renderHuntingYaml(q), 'utf8');
  }
  return written;
}

/** Bytes gathered before each write: few syscalls, little memory. */
const CHUNK_CHARS = 256 * 1024;

/**
 * `JSON.stringify(items, null, 2)` plus a newline, byte for byte, written item by item with
 * backpressure, so only one item's text is in memory at a time.
 */
export async function writeJsonArray(path: string, items: Iterable<unknown>): Promise<void> {
  const stream = createWriteStream(path, { encoding: 'utf8' });
  const failed = once(stream, 'error').then(([e]) => {
    throw e;
  });
  failed.catch(() => undefined); // observed below; never an unhandled rejection
  const write = async (text: string) => {
    if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
  };
  let chunk = '';
  let first = true;
  for (const item of items) {
    // An item JSON.stringify would skip in an array is written as null, as it does.
    const json = JSON.stringify(item, null, 2) ?? 'null';
    chunk += `${first ? '[\n  ' : ',\n  '}${json.replace(/\n/g, '\n  ')}`;
    first = false;
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}${first ? '[]' : '\n]'}\n`);
  stream.end();
  await Promise.race([once(stream, 'close'), failed]);
}
