#!/usr/bin/env node
/**
 * Refreshes lib/ioc/data/top-sites.json from the npm tarball of `top-sites` (the list ships in the
 * tarball; the package's postinstall would download it from moz.com instead). Usage:
 *   npm run update:top-sites [-- VERSION]
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const spec = `top-sites@${process.argv[2] || 'latest'}`;
const dataDir = join(__dirname, '..', 'lib', 'ioc', 'data');
const work = mkdtempSync(join(tmpdir(), 'top-sites-'));
try {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const tarball = execFileSync(npm, ['pack', spec, '--silent'], { cwd: work, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['xzf', tarball], { cwd: work });
  const pkg = JSON.parse(readFileSync(join(work, 'package', 'package.json'), 'utf8'));
  const list = JSON.parse(readFileSync(join(work, 'package', 'top-sites.json'), 'utf8'));
  const valid =
    Array.isArray(list) &&
    list.length >= 400 &&
    list.every(
      (e) => Number.isInteger(e.rank) && typeof e.rootDomain === 'string' && /^[a-z0-9.-]+$/i.test(e.rootDomain),
    );
  if (!valid)
    throw new Error(
      `${spec}: top-sites.json is not a list of {rank, rootDomain} with at least 400 entries; not updated`,
    );
  writeFileSync(join(dataDir, 'top-sites.json'), readFileSync(join(work, 'package', 'top-sites.json')));
  const notePath = join(dataDir, 'README.md');
  writeFileSync(
    notePath,
    readFileSync(notePath, 'utf8').replace(/top-sites@\d+\.\d+\.\d+/, `top-sites@${pkg.version}`),
  );
  console.log(`lib/ioc/data/top-sites.json <- top-sites@${pkg.version} (${list.length} domains, ${pkg.license})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
