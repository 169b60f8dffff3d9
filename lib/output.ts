import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Writes what the run read, rejected and planned, so a user sees exactly what goes (or went) to Sentinel. */
export async function writeOutputs(dir: string, result: SyncResult, generatedAt: Date): Promise<string[]> {
  const queriesDir = join(dir, OUT_FILES.huntingQueries);
  await mkdir(queriesDir, { recursive: true });
  const files: Array<[string, string]> = [
    [OUT_FILES.iocs, json(result.iocs)],
    [OUT_FILES.rejected, json(result.rejected)],
    [OUT_FILES.indicators, json(result.plan.indicators)],
    [OUT_FILES.summary, json(result.summary)],
    [OUT_FILES.report, renderReport(result.iocs, result.plan.huntingQueries, { generatedAt })],
  ];
  for (const q of result.plan.huntingQueries) {
    files.push([join(OUT_FILES.huntingQueries, `${q.id}.kql`), q.query.endsWith('\n') ? q.query : `${q.query}\n`]);
    files.push([join(OUT_FILES.huntingQueries, `${q.id}.yaml`), renderHuntingYaml(q)]);
  }
  await Promise.all(files.map(([name, text]) => writeFile(join(dir, name), text, 'utf8')));
  return files.map(([name]) => join(dir, name));
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
