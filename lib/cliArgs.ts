import { parseArgs } from 'node:util';
import { inputError, isSyncError } from './errors';
import { decodeInput, readTextFile } from './input';
import { OUT_FILES } from './output';
import { MALWARE_ID } from './settingFields';

/** The CLI's flags: the usage text, the parsed and checked options, and the --input file read. */

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

export interface CliOptions {
  input?: string;
  dryRun: boolean;
  out?: string;
  days?: number;
  malware?: string[];
  json: boolean;
  reconcile: boolean;
}

export function parseCli(argv: string[]): CliOptions | 'help' {
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
export class UsageError extends Error {}

export async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return decodeInput(Buffer.concat(chunks), '--input (stdin)');
  }
  try {
    // Decoded by node as it is read: no Buffer of ours stays alive beside the text (docs/reliability.md, Big runs).
    return readTextFile(path, `--input ${path}`);
  } catch (e) {
    if (isSyncError(e)) throw e;
    throw inputError(`--input: ${readFailure(e as NodeJS.ErrnoException)}: ${path}`, '--input');
  }
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
