#!/usr/bin/env node
'use strict';
/**
 * azd predown hook: removes the app's Sentinel roles before `azd down` deletes its identity (after
 * that, the assignments linger as "Identity not found" on workspaces azd never deletes).
 *
 * For every workspace of the deployment (the output SENTINEL_WORKSPACE_IDS): delete the identity's
 * role assignments on the workspace (the template's and any granted by hand), then the custom role
 * "ThreatFox Sentinel Sync (…)" of that workspace's resource group unless another deployment still
 * uses it (Azure refuses to delete an assigned role). Exits 1 when something could not be removed,
 * so `azd down` stops while the identity still exists and the command can be run again.
 */
const { run } = require('./cli');

const principal = process.env.APP_IDENTITY_PRINCIPAL_ID;
const workspaces = (process.env.SENTINEL_WORKSPACE_IDS || '')
  .split(',')
  .map((id) => id.trim())
  .filter(Boolean);
const ROLE_PREFIX = 'ThreatFox Sentinel Sync (';

if (!principal || workspaces.length === 0) {
  console.log('predown: no deployment outputs (APP_IDENTITY_PRINCIPAL_ID, SENTINEL_WORKSPACE_IDS); nothing to remove.');
  process.exit(0);
}

const problems = [];
const resourceGroups = new Set();
for (const workspace of workspaces) {
  const parts = workspace.split('/');
  if (parts.length < 9 || parts[1].toLowerCase() !== 'subscriptions' || parts[3].toLowerCase() !== 'resourcegroups') {
    problems.push(`${workspace}: not a workspace resource id`);
    continue;
  }
  resourceGroups.add(parts.slice(0, 5).join('/'));
  const r = run('az', ['role', 'assignment', 'delete', '--assignee', principal, '--scope', workspace]);
  if (r.ok) console.log(`predown: removed the app's role assignments on ${workspace}`);
  else problems.push(`${workspace}: ${r.stderr}`);
}

for (const scope of resourceGroups) {
  const list = run('az', ['role', 'definition', 'list', '--custom-role-only', 'true', '--scope', scope, '-o', 'json']);
  if (!list.ok) {
    problems.push(`${scope}: could not list custom roles: ${list.stderr}`);
    continue;
  }
  let roles = [];
  try {
    roles = JSON.parse(list.stdout || '[]');
  } catch {
    problems.push(`${scope}: unreadable role list`);
    continue;
  }
  for (const role of roles.filter((d) => typeof d.roleName === 'string' && d.roleName.startsWith(ROLE_PREFIX))) {
    const del = run('az', ['role', 'definition', 'delete', '--name', role.name, '--scope', scope]);
    if (del.ok) console.log(`predown: deleted the custom role ${role.roleName}`);
    else if (/assign/i.test(del.stderr))
      console.log(`predown: kept ${role.roleName}: another deployment still holds it`);
    else problems.push(`${scope}: could not delete ${role.roleName}: ${del.stderr}`);
  }
}

if (problems.length > 0) {
  console.error(
    'predown: could not remove everything the app was granted, so `azd down` stops here (the identity still exists):\n' +
      problems.map((p) => `  - ${p}`).join('\n') +
      '\nFix the access (Owner or User Access Administrator on the workspace) and run `azd down` again, or remove them by hand (docs/deploy.md, "Clean up").',
  );
  process.exit(1);
}
