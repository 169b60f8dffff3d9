#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { appEnv, type Settings } from './config';
import { MALWARE_ID } from './settingFields';
import { asAzureAccessError, errorMessage, EXIT, inputError, isSyncError } from './errors';
import { decodeInput } from './input';
import { huntingQueryCountsText } from './content/queryCounts';
import { BENIGN_KINDS } from './ioc/benign';
import { createLogger, type Logger } from './logger';
import { checkOutDir, OUT_FILES, writeOutputs } from './output';
import { CLI_OPTIONS, collect, onDemandInput, runSync, type Collected, type SyncResult } from './pipeline';
import { terminalProgress } from './progress';
import type { SentinelDestination } from './sentinel/workspaceSync';
import { describeSkipped } from './sentinel/workspaceTables';
import { createServices } from './services';
import type { WriteCounts } from './sentinel/writeCounts';
import { removedLines, type LifecycleRequest } from './sentinel/lifecycle';

export const USAGE = `Usage: npm run sync -- [options]

Pulls ThreatFox IOCs for the configured families (or reads --input), refangs and
normalises them, and upserts Sentinel threat-intelligence indicators and hunting queries.

Options:
  --input FILE     a saved ThreatFox answer (JSON) or a list of IOCs, one a line
                   (defanged is fine; UTF-8 or UTF-16); "-" reads stdin.
                   Without it: the ThreatFox API.
  --malware LIST   ThreatFox malware id(s), comma-separated (default: THREATFOX_MALWARE).
                   A pasted list of IOCs needs exactly one: its family. A ThreatFox
                   JSON --input is kept to these families.
  --dry-run        plan only: no Azure writes, no Azure settings needed
  --out DIR        write ${Object.values(OUT_FILES).join(', ')}
                   (checked before anything runs; stale query files there are removed)
  --days N         pull the last N days (1-7, ThreatFox get_iocs) instead of
                   the latest IOCs per family (malwareinfo); not with --input
  --reconcile      after the sync, look our indicators up on ThreatFox (oldest
                   confirmed first, up to THREATFOX_RECONCILE_BUDGET) and revoke
                   those it withdrew; not with --dry-run
  --json           print a one-line JSON summary as the last line of stdout
                   (always, when stdout is not a terminal)
  -h, --help       this text

Exit codes:
  0  done (rejected input lines are listed, not fatal)
  1  nothing was written: the settings, the input, --out, the Azure login or
     ThreatFox failed before any write (the message says what to fix)
  2  the run could not do everything: writes to Sentinel failed or missed the
     run deadline (listed), a read of our indicators was partial or ended
     early, or most of a ThreatFox pull was rejected; the next run retries

Settings come from the environment; see the README.`;

/** How many rejection reasons the terminal shows; the rest are in rejected.json. */
const SHOWN_REJECTIONS = 5;

interface CliOptions {
  input?: string;
  dryRun: boolean;
  out?: string;
  days?: number;
  malware?: string[];
  json: boolean;
  reconcile: boolean;
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
        reconcile: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  let days: number | undefined;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > 7)
      throw inputError(`--days must be a whole number from 1 to 7 (got "${values.days}")`, '--days');
  }
  if (values.out !== undefined && values.out.trim() === '') throw inputError('--out needs a directory', '--out');
  if (values.reconcile && values['dry-run'])
    throw inputError('--reconcile writes (it revokes withdrawn IOCs): it cannot be used with --dry-run', '--reconcile');
  return {
    input: values.input,
    dryRun: values['dry-run'] ?? false,
    out: values.out,
    days,
    malware: values.malware === undefined ? undefined : parseMalwareFlag(values.malware),
    json: values.json ?? false,
    reconcile: values.reconcile ?? false,
  };
}

/** --malware is the user's own choice: an empty or bad value is an error naming the flag, never a fallback to THREATFOX_MALWARE. */
function parseMalwareFlag(value: string): string[] {
  const list = [
    ...new Set(
      value
        .split(',')
        .map((m) => m.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (list.length === 0)
    throw inputError(
      '--malware names no malware family: give ThreatFox malware id(s) such as win.netsupportmanager_rat',
      '--malware',
    );
  const bad = list.filter((m) => !MALWARE_ID.test(m));
  if (bad.length > 0)
    throw inputError(
      `--malware must be ThreatFox malware id(s) such as win.netsupportmanager_rat (bad: ${JSON.stringify(bad)})`,
      '--malware',
    );
  return list;
}

/** A flag parseArgs does not know: answered with the usage text. */
class UsageError extends Error {}

async function readInput(path: string): Promise<string> {
  let bytes: Buffer;
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  } else {
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw inputError(`--input: ${readFailure(e as NodeJS.ErrnoException)}: ${path}`, '--input');
    }
  }
  return decodeInput(bytes, `--input ${path === '-' ? '(stdin)' : path}`);
}

/** Why a file could not be read, in words (`--input: no such file: x.txt`); the code stays for rare ones. */
const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function readFailure(e: NodeJS.ErrnoException): string {
  const known = e.code !== undefined && Object.hasOwn(READ_FAILURES, e.code) ? READ_FAILURES[e.code] : undefined;
  return known ?? `cannot be read (${e.code ?? e.message})`;
}

/** The run's result as a person reads it: counts, the first rejection reasons, where the rest are. */
export function humanSummary(
  result: SyncResult,
  options: { out?: string; files?: number; removed?: number },
): string[] {
  const s = result.summary;
  const types = Object.entries(s.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  const lines = [
    `${s.dryRun ? 'Dry run' : 'Sync'}: ${s.iocs} IOCs (${types || 'none'}) from ${s.read} entries, ${s.rejected} rejected; families: ${s.families.join(', ') || 'none'}`,
  ];
  if (s.skipped > 0) lines.push(`Skipped ${s.skipped} ThreatFox records of families not named by --malware.`);
  const benign = BENIGN_KINDS.filter((k) => s.benign[k] > 0).map((k) => `${s.benign[k]} ${k}`);
  if (benign.length > 0)
    lines.push(
      `Refused as well-known benign: ${benign.join(', ')} (see BENIGN_ALLOWLIST in the README to add your own).`,
    );
  if (result.rejected.length > 0) {
    const shown = result.rejected.slice(0, SHOWN_REJECTIONS);
    lines.push(
      `Rejected${result.rejected.length > shown.length ? ` (first ${shown.length} of ${result.rejected.length})` : ''}:`,
    );
    for (const r of shown) lines.push(`  ${oneLine(r.input, 80)}: ${oneLine(r.reason, 200)}`);
    const where = options.out ? `${options.out}/${OUT_FILES.rejected}` : 'rerun with --out DIR for rejected.json';
    if (result.rejected.length > shown.length)
      lines.push(`  … all ${result.rejected.length} with their reasons: ${where}`);
  }
  const queries = huntingQueryCountsText({
    savedSearches: s.huntingQueries.savedSearches,
    exported: s.huntingQueries.exported,
    families: s.families.length,
    split: result.plan.huntingQueries.some((q) => q.part !== undefined),
  });
  lines.push(
    s.dryRun
      ? `Would write ${s.indicators.planned} indicators${s.indicators.expired ? ` (${s.indicators.expired} already past their validity)` : ''}; hunting queries: ${queries}.`
      : `Indicators: ${fmt(s.indicators, 'duplicates')}. Hunting queries: ${queries}; saved searches ${fmt(s.huntingQueries, 'stale')}.`,
  );
  if (s.skippedHunts?.length)
    lines.push(
      `Not written, no such table in the workspace: ${s.skippedHunts.length} hunting queries; connect ${describeSkipped(s.skippedHunts)}, and the next run adds them.`,
    );
  // Several workspaces: each one's own line, so a failed one is named.
  if ((s.workspaces?.length ?? 0) > 1) {
    for (const w of s.workspaces!) {
      lines.push(
        w.status === 'failed'
          ? `  ${w.workspace}: FAILED: ${oneLine(w.error ?? 'failed', 300)}`
          : `  ${w.workspace}: indicators ${fmt(w.indicators, 'duplicates')}; hunting queries ${fmt(w.huntingQueries, 'stale')}${w.status === 'partial' ? ' (partial)' : ''}`,
      );
    }
  }
  lines.push(...lifecycleLines(s));
  if (options.out) {
    lines.push(
      `Wrote ${options.files ?? 0} files to ${options.out}${options.removed ? `, removed ${options.removed} stale hunting-query files` : ''}.`,
    );
  }
  return lines;
}

/** What the lifecycle step did, when it ran: reconcile counts, removed families' hunting queries. */
function lifecycleLines(s: SyncResult['summary']): string[] {
  const r = s.lifecycle?.reconcile;
  const removed = removedLines(s.lifecycle?.huntingQueriesRemoved ?? {});
  return [
    ...(r
      ? [
          `Reconciled with ThreatFox: ${r.confirmed} confirmed, ${r.revoked} revoked, ${r.lookupFailed} look-ups failed, ${r.notChecked} not checked this run, ${r.failed} failed.`,
        ]
      : []),
    ...removed.map((line) => `${line[0]?.toUpperCase() ?? ''}${line.slice(1)}.`),
  ];
}

/** Hostile input shown on a terminal: no control characters, bounded length. */
function oneLine(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const fmt = (c: WriteCounts, removed: 'duplicates' | 'stale') =>
  `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.deleted} ${removed} removed, ${c.failed} failed`;

/** An error for a person: one line (or the usage text), never a stack trace. */
function printError(message: string): void {
  process.stderr.write(`error: ${message}\n`);
}

export async function main(argv: string[], logger?: Logger): Promise<number> {
  const log = logger ?? createLogger({ pretty: process.stderr.isTTY, level: appEnv().LOG_LEVEL });
  let options: CliOptions | 'help';
  let prepared: PreparedSync;
  // Until Sentinel is written to, a failure leaves nothing behind: exit 1, not 2.
  try {
    options = parseCli(argv);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    prepared = await prepareSync(options, log);
  } catch (e) {
    return reportFailure(e, log, false);
  }
  try {
    return await syncAndReport(prepared, options, log);
  } catch (e) {
    return reportFailure(e, log, !options.dryRun);
  }
}

interface PreparedSync {
  settings: Settings;
  collected: Collected;
  stores?: SentinelDestination;
  lifecycle?: LifecycleRequest;
}

/** Everything before the first write: `--out` checked, settings loaded, the IOCs read. */
async function prepareSync(options: CliOptions, log: Logger): Promise<PreparedSync> {
  if (options.out !== undefined) await checkOutDir(options.out);
  // The same composition as the Functions app, with the CLI's logger.
  const services = createServices(appEnv(), { logger: log });
  const { settings } = services;
  const text = options.input !== undefined ? await readInput(options.input) : undefined;
  const input = onDemandInput({ text, days: options.days, malware: options.malware }, settings.threatfox, CLI_OPTIONS);
  const threatfox = input.kind === 'threatfox' ? services.threatfox(log) : undefined;
  const stores = options.dryRun ? undefined : services.sentinel();
  const collected = await collect(input, threatfox, settings.allowlist);
  // A full run (the configured families from ThreatFox) removes the queries of families no longer configured.
  const full = options.malware === undefined && options.input === undefined;
  const lifecycle: LifecycleRequest = {
    ...(full ? { configuredFamilies: settings.threatfox.malware } : {}),
    ...(options.reconcile
      ? { reconcile: { source: services.threatfoxLookup(log), budget: settings.threatfox.reconcileBudget } }
      : {}),
  };
  return { settings, collected, stores, lifecycle: options.dryRun ? undefined : lifecycle };
}

/** Writes (or plans), writes `--out`, prints the summary; the exit code says whether every write landed. */
async function syncAndReport(prepared: PreparedSync, options: CliOptions, log: Logger): Promise<number> {
  const { settings, collected, stores, lifecycle } = prepared;
  const progress = terminalProgress('indicators');
  const now = new Date();
  const result = await runSync(
    { kind: 'collected', collected },
    { settings, stores, logger: log, now, onProgress: progress },
    { dryRun: options.dryRun, lifecycle },
  );
  progress.finish();
  const files = options.out
    ? await writeOutputs(options.out, result, now, { ttlDays: settings.sentinel.ttlDays })
    : undefined;
  const lines = humanSummary(result, {
    out: options.out,
    files: files?.written.length,
    removed: files?.removed.length,
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.json || !process.stdout.isTTY) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  // A pull that rejected most records (ThreatFox changed its format?) must not look healthy.
  return result.summary.failures > 0 || result.summary.alarm ? EXIT.someWritesFailed : EXIT.done;
}

/** One line for a person, never a stack trace; the exit code says whether anything may have been written. */
function reportFailure(e: unknown, log: Logger, writing: boolean): number {
  if (e instanceof UsageError) {
    printError(`${e.message}\n\n${USAGE}`);
    return EXIT.nothingWritten;
  }
  const known = isSyncError(e) ? e : asAzureAccessError(e);
  if (known) {
    if (known.detail) log.debug({ detail: known.detail }, 'what the Azure SDK said');
    printError(known.message);
    return known.exitCode;
  }
  log.debug({ err: e }, 'sync failed');
  printError(
    `${writing ? 'sync failed while writing to Sentinel' : 'sync failed; nothing was written to Sentinel'}: ${errorMessage(e).split('\n')[0]} (LOG_LEVEL=debug shows the stack trace)`,
  );
  return writing ? EXIT.someWritesFailed : EXIT.nothingWritten;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT.someWritesFailed;
    },
  );
}
