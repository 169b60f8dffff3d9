import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project's package.json: from test/bench under ts-jest, from dist/test/bench when compiled. */
function packageJson(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) return path;
  }
  throw new Error(`no package.json above ${__dirname}`);
}

/**
 * The node flags `npm run sync` starts the CLI with (package.json's `sync` script), so the bench and
 * the 100k test run the CLI as a user does and cannot drift from the script.
 */
export function cliNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(packageJson(), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts.sync.split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`package.json's sync script does not start node: ${pkg.scripts.sync}`);
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return flags;
}
