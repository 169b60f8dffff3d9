/**
 * The app's Sentinel role (issue 19, item 1): one action list, lib/sentinel/appRole.json, that the
 * Bicep builds the custom role from and `npm run check` reads permissions against.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { WRITE_ACTIONS } from '../../lib/jobs/check';
import { actionMatcher, APP_ROLE, APP_ROLE_ACTIONS, APP_WRITE_ACTIONS } from '../../lib/sentinel/permissions';
import { SENTINEL_CONTRIBUTOR_PERMISSIONS } from '../fakes/armServer';
import { objectAfter, stripComments, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const sentinelAccess = stripComments(read('infra/modules/sentinelAccess.bicep'));
const mainBicep = read('infra/main.bicep');
const roleJson = JSON.parse(read('lib/sentinel/appRole.json')) as { writes: string[]; reads: string[] };

/**
 * The operations Azure RBAC documents (learn.microsoft.com/azure/role-based-access-control/permissions:
 * security.md#microsoftsecurityinsights, monitor.md#microsoftoperationalinsights,
 * management-and-governance.md#microsoftauthorization), and the table wildcard the Log Analytics
 * table-level access page shows (azure-monitor/logs/manage-table-access.md): the outside truth.
 */
const DOCUMENTED = new Set(
  [
    'Microsoft.SecurityInsights/threatintelligence/createIndicator/action',
    'Microsoft.SecurityInsights/threatintelligence/queryIndicators/action',
    'Microsoft.SecurityInsights/threatintelligence/metrics/action',
    'Microsoft.SecurityInsights/threatintelligence/metrics/read',
    'Microsoft.SecurityInsights/threatintelligence/indicators/write',
    'Microsoft.SecurityInsights/threatintelligence/indicators/delete',
    'Microsoft.SecurityInsights/threatintelligence/indicators/query/action',
    'Microsoft.OperationalInsights/workspaces/read',
    'Microsoft.OperationalInsights/workspaces/tables/read',
    'Microsoft.OperationalInsights/workspaces/savedSearches/read',
    'Microsoft.OperationalInsights/workspaces/savedSearches/write',
    'Microsoft.OperationalInsights/workspaces/savedSearches/delete',
    'Microsoft.OperationalInsights/workspaces/query/read',
    'Microsoft.OperationalInsights/workspaces/query/*/read',
    'Microsoft.Authorization/permissions/read',
  ].map((a) => a.toLowerCase()),
);

describe('the one action list (lib/sentinel/appRole.json)', () => {
  it('names only documented operations, no Sentinel wildcard, and no write outside indicators and saved searches', () => {
    expect(APP_ROLE_ACTIONS.filter((a) => !DOCUMENTED.has(a.toLowerCase()))).toEqual([]);
    expect(APP_ROLE_ACTIONS.filter((a) => a.includes('*') && a !== 'Microsoft.OperationalInsights/workspaces/query/*/read')).toEqual([]);
    for (const w of APP_WRITE_ACTIONS)
      expect(w).toMatch(/^Microsoft\.(SecurityInsights\/threatIntelligence\/(createIndicator\/action|indicators\/(write|delete))|OperationalInsights\/workspaces\/savedSearches\/(write|delete))$/);
    expect(new Set(APP_ROLE_ACTIONS).size).toBe(APP_ROLE_ACTIONS.length);
  });

  it('is what the check asks the permissions list about', () => {
    expect(APP_ROLE_ACTIONS).toEqual([...roleJson.writes, ...roleJson.reads]);
    expect([...WRITE_ACTIONS]).toEqual(roleJson.writes);
  });

  it('has its writes covered by Microsoft Sentinel Contributor, so the upload path (which keeps that role) passes the same check', () => {
    const [contributor] = SENTINEL_CONTRIBUTOR_PERMISSIONS;
    const granted = (a: string) =>
      contributor.actions.some((p) => actionMatcher(p)(a)) && !(contributor.notActions ?? []).some((p) => actionMatcher(p)(a));
    expect(APP_WRITE_ACTIONS.filter((a) => !granted(a))).toEqual([]);
  });

  it('is what the Bicep builds the custom role from, assigned on the workspace for the ARM path only', () => {
    expect(sentinelAccess).toMatch(/^var appRole = loadJsonContent\('\.\.\/\.\.\/lib\/sentinel\/appRole\.json'\)$/m);
    expect(sentinelAccess).toMatch(/^var useAppRole = writePath == 'arm'$/m);
    const definition = objectAfter(sentinelAccess, /resource appRoleDefinition 'Microsoft\.Authorization\/roleDefinitions@2022-04-01' = if \(useAppRole\) \{/);
    expect(definition).toMatch(/actions: concat\(appRole\.writes, appRole\.reads\)/);
    expect(definition).toMatch(/notActions: \[\]/);
    expect(definition).toMatch(/assignableScopes: \[\s*resourceGroup\(\)\.id\s*\]/);
    expect(valueOf(definition, 'type')).toBe("'CustomRole'");
    const assignment = objectAfter(sentinelAccess, /resource sentinelRole 'Microsoft\.Authorization\/roleAssignments@2022-04-01' = \{/);
    expect(valueOf(assignment, 'scope')).toBe('workspace');
    expect(valueOf(assignment, 'roleDefinitionId')).toBe(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', useAppRole ? appRoleDefinitionName : roleDefinitionIds.microsoftSentinelContributor)",
    );
    expect(assignment).toMatch(/dependsOn: \[\s*appRoleDefinition\s*\]/);
    // Workspaces sharing a resource group share its role definition: deployed one at a time.
    expect(stripComments(mainBicep)).toMatch(/^@batchSize\(1\)\nmodule sentinelAccess /m);
    const sentinelModule = objectAfter(mainBicep, /module sentinelAccess 'modules\/sentinelAccess\.bicep' = \[/);
    expect(valueOf(objectAfter(sentinelModule, /params: \{/), 'writePath')).toBe('sentinelWritePath');
  });

  it('has a role name and description the portal shows', () => {
    expect(APP_ROLE.roleName).toBe('ThreatFox Sentinel Sync');
    expect(APP_ROLE.description.length).toBeLessThanOrEqual(1024);
  });
});

describe('docs/deploy.md on the role', () => {
  const doc = read('docs/deploy.md');

  it('lists every action of the role and what creating it needs', () => {
    expect(APP_ROLE_ACTIONS.filter((a) => !doc.includes(`\`${a}\``))).toEqual([]);
    expect(doc).toContain('Microsoft.Authorization/roleDefinitions/write');
    expect(doc).toMatch(/User Access Administrator/);
  });

  it('keeps the grant-it-yourself path with the template\'s own module', () => {
    expect(doc).toContain('--template-file infra/modules/sentinelAccess.bicep');
    expect(doc).toContain('writePath="$(azd env get-value SENTINEL_WRITE_PATH)"');
  });
});
