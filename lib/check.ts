#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { appEnv } from './config';
import { formatCheck, runCheck, type CheckDeps } from './jobs/check';

const USAGE = `Usage: npm run check [-- --json]

Checks, read-only, everything a sync needs: the settings, ThreatFox (reachable, Auth-Key
accepted, families known), an Azure token with the configured credential, the Sentinel
workspace, read access to its indicators and saved searches, roles that allow writing them,
the ThreatIntelIndicators table, which hunts the workspace has tables for, and, through the
Logs query API (LOG_ANALYTICS_ENDPOINT), every hunting query run once over the last hour and
how many of our indicators the hunts see. Each line is ✓ or ✗ with the fix. Writes nothing.

Options:
  --json       print the report as one JSON object instead of lines
  -h, --help   this text

Exit codes: 0 every check passed, 1 a check failed (or a bad option).`;

/** `npm run check`: the preflight check on the environment's settings; exit 0 when all pass, 1 otherwise. */
export async function main(
  argv: string[],
  deps: Partial<CheckDeps> = {},
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  let json: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    json = values.json ?? false;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 1;
  }
  const env = deps.env ?? appEnv();
  const report = await runCheck({ env, ...deps });
  out.write(
    json
      ? `${JSON.stringify(report)}\n`
      : formatCheck(report, { debug: env.LOG_LEVEL?.trim().toLowerCase() === 'debug' }),
  );
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // runCheck turns every failure into a line; reaching here is a bug, said without a stack of secrets.
      process.stderr.write(`check failed unexpectedly: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
