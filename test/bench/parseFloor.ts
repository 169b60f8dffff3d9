/**
 * The floor a dry run is measured against (`npm run bench`): read a ThreatFox answer, parse it
 * whole and walk every field of every record, doing nothing with them. Run as a child process with
 * the CLI's node flags; prints the milliseconds it took.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const t = performance.now();
const doc = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { data: Array<Record<string, unknown>> };
let fields = 0;
for (const record of doc.data) {
  for (const key of Object.keys(record)) {
    const value = record[key];
    fields += Array.isArray(value) ? value.length : typeof value === 'string' ? 1 : 0;
  }
}
process.stdout.write(`${performance.now() - t} ${fields}\n`);
