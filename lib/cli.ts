#!/usr/bin/env node
import { appEnv, type Settings } from './config';
import { asAzureAccessError, errorLine, EXIT, isSyncError } from './errors';
import { createLogger, type Logger } from './logger';
import { checkOutDir, writeOutputs } from './output';
import { CLI_OPTIONS, collect, onDemandInput, type Collected } from './collect';
import { runSync } from './pipeline';
import { terminalProgress } from './progress';
import type { WorkspaceStores } from './sentinel/stores';
import { createServices } from './services';
import type { LifecycleRequest } from './sentinel/lifecycle';
import { parseCli, readInput, USAGE, UsageError, type CliOptions } from './cliArgs';
import { humanSummary } from './cliSummary';

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
  stores?: readonly WorkspaceStores[];
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
    `${writing ? 'sync failed while writing to Sentinel' : 'sync failed; nothing was written to Sentinel'}: ${errorLine(e)} (LOG_LEVEL=debug shows the stack trace)`,
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
