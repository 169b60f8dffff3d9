'use strict';
/**
 * What the azd hooks share: running `az`/`azd` (never through a shell, so no value is ever parsed
 * as shell syntax) and reading the azd environment file. Every call has a timeout.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const TIMEOUT_MS = 120000;

/**
 * Runs a CLI; returns { ok, stdout, stderr }. On Windows az is a batch file, which only runs through
 * cmd.exe: callers pass arguments without shell metacharacters (names, ids, fixed flags).
 */
function run(tool, args, options = {}) {
  const batch = process.platform === 'win32' && (tool === 'az' || tool === 'npm');
  const r = spawnSync(batch ? `${tool}.cmd` : tool, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? TIMEOUT_MS,
    shell: batch,
    cwd: options.cwd,
  });
  return { ok: r.status === 0, stdout: (r.stdout || '').trim(), stderr: (r.stderr || r.error?.message || '').trim() };
}

/** The raw lines of .azure/<env>/.env (what `azd env set` wrote), as a map; {} when there is none. */
function azdEnvFile(root, envName) {
  const file = join(root, '.azure', envName || '', '.env');
  if (!envName || !existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return out;
}

module.exports = { run, azdEnvFile, TIMEOUT_MS };
