#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadSettings, requireAuthKey, requireSentinelTargets } from './config';
import { asAzureAccessError, inputError, isSyncError } from './errors';
import { createLogger, type Logger } from './logger';
import { OUT_FILES, writeOutputs } from './output';
import { onDemandInput, runSync, type SyncResult } from './pipeline';
import type { WriteCounts } from './sentinel/writer';
import { terminalProgress } from './progress';
import { connectWorkspaces } from './sentinel/workspaceSync';
import { ThreatFoxClient } from './threatfox/client';

const USAGE = `Usage: npm run sync -- [options]

Pulls ThreatFox IOCs for the configured families (or reads --input), refangs and
normalises them, and upserts Sentinel threat-intelligence indicators and hunting queries.

Options:
  --input FILE     a saved ThreatFox answer (JSON) or a list of IOCs, one a line
                   (defanged is fine); "-" reads stdin. Without it: the ThreatFox API.
  --dry-run        plan only: no Azure writes, no Azure settings needed
  --out DIR        write ${Object.values(OUT_FILES).join(', ')}
  --days N         pull the last N days (1-7, ThreatFox get_iocs) instead of
                   the latest IOCs per family (malwareinfo)
  --malware LIST   ThreatFox malware id(s), comma-separated (default: THREATFOX_MALWARE)
  --json           print a one-line JSON summary as the last line of stdout
  -h, --help       this text

Exit codes: 0 done, 1 bad settings or input, 2 partial failure (see the log).
Settings come from the environment; see the README.`;

interface CliOptions {
  input?: string;
  dryRun: boolean;
  out?: string;
  days?: number;
  malware?: string;
  json: boolean;
}

function parseCli(argv: string[]): CliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        out: { type: 'string' },
        days: { type: 'string' },
        malware: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw inputError(`${(e as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  let days: number | undefined;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > 7) throw inputError(`--days must be a whole number from 1 to 7 (got "${values.days}")`);
  }
  return {
    input: values.input,
    dryRun: values['dry-run'] ?? false,
    out: values.out,
    days,
    malware: values.malware,
    json: values.json ?? false,
  };
}

async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw inputError(`cannot read --input ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function printHuman(result: SyncResult, options: CliOptions, files: string[]): void {
  const s = result.summary;
  const types = Object.entries(s.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  const lines = [
    `${s.dryRun ? 'Dry run' : 'Sync'}: ${s.iocs} IOCs (${types || 'none'}) from ${s.read} entries, ${s.rejected} rejected; families: ${s.families.join(', ') || 'none'}`,
    s.dryRun
      ? `Would write ${s.indicators.planned} indicators${s.indicators.expired ? ` (${s.indicators.expired} already past their validity)` : ''} and ${s.huntingQueries.planned} hunting queries.`
      : `Indicators: ${fmt(s.indicators, 'duplicates')}. Hunting queries: ${fmt(s.huntingQueries, 'stale')}.`,
  ];
  // Several workspaces: each one's own line, so a failed one is named.
  if ((s.workspaces?.length ?? 0) > 1) {
    for (const w of s.workspaces!) {
      lines.push(
        w.status === 'failed'
          ? `  ${w.workspace}: FAILED: ${w.error}`
          : `  ${w.workspace}: indicators ${fmt(w.indicators, 'duplicates')}; hunting queries ${fmt(w.huntingQueries, 'stale')}${w.status === 'partial' ? ' (partial)' : ''}`,
      );
    }
  }
  if (options.out) lines.push(`Wrote ${files.length} files to ${options.out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const fmt = (c: WriteCounts, removed: 'duplicates' | 'stale') =>
  `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.deleted} ${removed} removed, ${c.failed} failed`;

export async function main(argv: string[], logger?: Logger): Promise<number> {
  const log = logger ?? createLogger({ pretty: process.stderr.isTTY });
  try {
    const options = parseCli(argv);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const settings = loadSettings({
      ...process.env,
      ...(options.malware !== undefined ? { THREATFOX_MALWARE: options.malware } : {}),
    });
    const text = options.input !== undefined ? await readInput(options.input) : undefined;
    const input = onDemandInput({ text, days: options.days }, settings.threatfox);
    const threatfox =
      input.kind === 'threatfox'
        ? new ThreatFoxClient({ apiUrl: settings.threatfox.apiUrl, authKey: requireAuthKey(settings), timeoutMs: settings.threatfox.timeoutMs, logger: log })
        : undefined;
    const stores = options.dryRun ? undefined : connectWorkspaces(requireSentinelTargets(settings), { logger: log });
    const progress = terminalProgress('indicators');
    const now = new Date();
    const result = await runSync(input, { settings, threatfox, stores, logger: log, now, onProgress: progress }, { dryRun: options.dryRun });
    progress.finish();
    const files = options.out ? await writeOutputs(options.out, result, now) : [];
    printHuman(result, options, files);
    if (options.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    return result.summary.failures > 0 ? 2 : 0;
  } catch (e) {
    const known = isSyncError(e) ? e : asAzureAccessError(e);
    if (known) {
      log.error({ code: known.code }, known.message);
      return known.exitCode;
    }
    log.error({ err: e }, 'sync failed');
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 2;
    },
  );
}
