/** CI runs the tests on the Node the Function App runs (issue 19, item 7). */
import { readFileSync } from 'fs';
import { join } from 'path';
import { objectAfter, unquote, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const ci = read('.ci/run');

describe('.ci/run', () => {
  it('stops at the first failure, installs from the lock file and runs the README\'s test command', () => {
    expect(ci.split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(ci).toMatch(/^set -euo pipefail$/m);
    const commands = ci.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(commands.indexOf('npm ci')).toBeLessThan(commands.indexOf('npm test'));
  });

  it('runs jest again on the Function App\'s Node major, and checks it got that version', () => {
    const runtime = unquote(valueOf(objectAfter(read('infra/modules/functionApp.bicep'), /runtime: \{/), 'version')!);
    expect(ci).toMatch(new RegExp(`^FUNCTION_APP_NODE=${runtime}$`, 'm'));
    expect(ci).toMatch(/^node22=\(npx --yes "node@\$\{FUNCTION_APP_NODE\}"\)$/m);
    expect(ci).toMatch(/if \[\[ "\$version" != "v\$\{FUNCTION_APP_NODE\}\."\* \]\]; then/);
    expect(ci).toMatch(/^"\$\{node22\[@\]\}" node_modules\/jest\/bin\/jest\.js$/m);
  });

  it('the README says how to do the same locally', () => {
    expect(read('README.md')).toContain('npx --yes node@22 node_modules/jest/bin/jest.js');
  });
});
