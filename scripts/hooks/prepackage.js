#!/usr/bin/env node
'use strict';
/**
 * azd prepackage hook (service api): builds the deployment package in dist/package with production
 * dependencies only. azure.yaml deploys that folder as it is (`dist: dist/package`, no remote build):
 * the remote build installed devDependencies too (TypeScript, Jest, Azurite, the Kusto service,
 * ESLint: about 450 MB) and shipped them.
 *
 *   dist/package/  host.json  package.json  package-lock.json  dist/functions  dist/lib  node_modules (npm ci --omit=dev)
 *
 * Prints the package's size. Runs in the service's folder (the repository root).
 */
const { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { run } = require('./cli');

const root = process.cwd();
const out = join(root, 'dist', 'package');
const INSTALL_TIMEOUT_MS = 15 * 60 * 1000;

function step(what, tool, args, cwd) {
  const r = run(tool, args, { cwd, timeoutMs: INSTALL_TIMEOUT_MS });
  if (!r.ok) {
    console.error(`prepackage: ${what} failed:\n${r.stderr || r.stdout}`);
    process.exit(1);
  }
}

/** Bytes under a folder (files only, symlinks not followed). */
function sizeOf(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, name) => n + sizeOf(join(path, name)), 0);
}

// A fresh clone has no build tools yet (azd's own install runs after this hook).
if (!existsSync(join(root, 'node_modules', 'typescript', 'package.json')))
  step('npm ci', 'npm', ['ci', '--no-audit', '--no-fund'], root);
step('npm run build', 'npm', ['run', 'build'], root);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'dist'), { recursive: true });
// What the Functions host loads: package.json main is dist/functions/*.js, which requires dist/lib
// and the JSON files tsc copied beside them (dist/host.json). Not the tests a dev build may have
// left in dist/test, not this folder, not source maps.
const noMaps = (src) => !src.endsWith('.map');
for (const name of readdirSync(join(root, 'dist')).filter((n) => n !== 'package' && n !== 'test'))
  cpSync(join(root, 'dist', name), join(out, 'dist', name), { recursive: true, filter: noMaps });
for (const file of ['host.json', 'package.json', 'package-lock.json']) cpSync(join(root, file), join(out, file));
// The package is deployed as it is: nothing in it is excluded (the root .funcignore is not used).
writeFileSync(join(out, '.funcignore'), '*.map\n');
// --ignore-scripts: the root package's `prepare` would run tsc, which is not installed here.
step('npm ci --omit=dev', 'npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], out);

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
console.log(
  `prepackage: dist/package is ${mb(sizeOf(out))} MB (node_modules ${mb(sizeOf(join(out, 'node_modules')))} MB, production dependencies only)`,
);
