/**
 * Static checks of the deployment contract. No Bicep compiler runs here (it is a download), so these
 * read infra/, host.json and local.settings.sample.json as text and hold them to what the code reads.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { loadSettings, settingsSchema } from '../../lib/config';
import { BATCH_CONTAINER, IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE, STORAGE_CONNECTION } from '../../lib/names';
import { classify, objectAfter, params, resourceTypes, stripComments, topLevelKeys, unquote, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readJson = <T = any>(path: string): T => JSON.parse(read(path)) as T;

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (ext.test(name)) out.push(relative(ROOT, full));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

const BICEP_FILES = filesUnder('infra', /\.bicep$/);
const mainBicep = read('infra/main.bicep');
const functionAppBicep = read('infra/modules/functionApp.bicep');
const storageBicep = read('infra/modules/storage.bicep');
const keyVaultBicep = read('infra/modules/keyVault.bicep');
const rolesBicep = read('infra/modules/roles.bicep');
const localSettings = readJson<{ IsEncrypted: boolean; Values: Record<string, unknown> }>('local.settings.sample.json');
const hostJson = readJson('host.json');

/** App settings the Function App gets (the one `var appSettings = { … }` in functionApp.bicep). */
const bicepAppSettings = objectAfter(functionAppBicep, /var appSettings = \{/);
const bicepSettingNames = topLevelKeys(bicepAppSettings);

/**
 * Built-in role ids by name, each checked by hand against Microsoft's built-in roles reference
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles: storage, security, monitor,
 * general): the outside truth the Bicep's role ids are read against.
 */
const BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  'ab8e14d6-4a74-4a29-9ba8-549422addade': 'Microsoft Sentinel Contributor',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  '92aaf0da-9dab-42b6-94a3-d43ce8d16293': 'Log Analytics Contributor',
};

/** Broad roles that must never be granted to the app. */
const BROAD_ROLES = ['Owner', 'Contributor', 'User Access Administrator', 'Log Analytics Contributor'];

/**
 * What each principal needs, and where (the resource type of the assignment's scope): the app's
 * identity reads and writes its own storage (Flex Consumption's deployment container needs Blob
 * Data Owner), reads one secret, publishes its telemetry and writes Sentinel content; the deployer
 * may set the secret. Nothing at resource-group or subscription scope.
 */
const NEEDED_ASSIGNMENTS = [
  'identityPrincipalId: Storage Blob Data Owner on Microsoft.Storage/storageAccounts',
  'identityPrincipalId: Storage Queue Data Contributor on Microsoft.Storage/storageAccounts',
  'identityPrincipalId: Storage Queue Data Message Sender on Microsoft.Storage/storageAccounts',
  'identityPrincipalId: Storage Table Data Contributor on Microsoft.Storage/storageAccounts',
  'identityPrincipalId: Key Vault Secrets User on Microsoft.KeyVault/vaults',
  'identityPrincipalId: Monitoring Metrics Publisher on Microsoft.Insights/components',
  // SENTINEL_WRITE_PATH=arm: the custom role built from lib/sentinel/appRole.json; upload: the built-in role.
  'identityPrincipalId: ThreatFox Sentinel Sync (custom role) on Microsoft.OperationalInsights/workspaces',
  'identityPrincipalId: Microsoft Sentinel Contributor on Microsoft.OperationalInsights/workspaces',
  'deployerPrincipalId: Key Vault Secrets Officer on Microsoft.KeyVault/vaults',
].sort();

/** The role ids roles.bicep exports, by their Bicep name. */
function roleIdsByName(): Record<string, string> {
  const map = objectAfter(rolesBicep, /var roleDefinitionIds = \{/);
  return Object.fromEntries(topLevelKeys(map).map((k) => [k, unquote(valueOf(map, k)!)]));
}

/**
 * Every role assignment the Bicep makes, as "principal: role name on scope resource type": the role
 * id read through roles.bicep (a `for roleId in list` loop through the list's items), the scope
 * through the `existing` resource it names.
 */
function roleAssignments(): string[] {
  const ids = roleIdsByName();
  const roleName = (expr: string) => {
    const m = /^roleDefinitionIds\.(\w+)$/.exec(expr.trim());
    if (!m) throw new Error(`not a roleDefinitionIds reference: ${expr}`);
    return BUILT_IN_ROLES[ids[m[1]]] ?? `unknown role id ${ids[m[1]]}`;
  };
  const out: string[] = [];
  for (const file of BICEP_FILES) {
    const code = stripComments(read(file));
    const header = /^resource (\w+) 'Microsoft\.Authorization\/roleAssignments@[^']+' = (?:\[\s*for (\w+) in (\w+): |if \([^\n]*\) )?\{/gm;
    for (const m of code.matchAll(header)) {
      const body = objectAfter(code.slice(m.index), /=[^{]*\{/);
      const scope = valueOf(body, 'scope')!;
      const scopeType = new RegExp(`^resource ${scope} '([^@']+)@[^']+' existing`, 'm').exec(code)?.[1] ?? `scope ${scope}`;
      const principal = valueOf(objectAfter(body, /properties: \{/), 'principalId')!;
      const roleExpr = /roleDefinitions', ([^)]+)\)/.exec(valueOf(body, 'roleDefinitionId')!)![1];
      // `useAppRole ? appRoleDefinitionName : roleDefinitionIds.x`: the custom role defined in the same file, or a built-in one.
      const choice = /^\w+ \? (\w+) : (roleDefinitionIds\.\w+)$/.exec(roleExpr);
      const customRole = (name: string) => {
        expect(code).toMatch(new RegExp(`^var ${name} = guid\\(resourceGroup\\(\\)\\.id, appRole\\.roleName\\)$`, 'm'));
        return 'ThreatFox Sentinel Sync (custom role)';
      };
      const roles = choice
        ? [customRole(choice[1]), roleName(choice[2])]
        : m[2] && roleExpr === m[2]
          ? [...new RegExp(`^var ${m[3]} = \\[([^\\]]*)\\]`, 'm').exec(code)![1].matchAll(/roleDefinitionIds\.\w+/g)].map((r) => roleName(r[0]))
          : [roleName(roleExpr)];
      for (const role of roles) out.push(`${principal}: ${role} on ${scopeType}`);
    }
  }
  return out.sort();
}

/** Resource types and api-versions checked against the Bicep type definitions (Azure/bicep-types-az). */
const VERIFIED_API_VERSIONS: Record<string, string> = {
  'Microsoft.Resources/resourceGroups': '2024-11-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2024-11-30',
  'Microsoft.Storage/storageAccounts': '2025-01-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2025-01-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2025-01-01',
  'Microsoft.Storage/storageAccounts/managementPolicies': '2025-01-01',
  'Microsoft.Storage/storageAccounts/queueServices': '2025-01-01',
  'Microsoft.Storage/storageAccounts/queueServices/queues': '2025-01-01',
  'Microsoft.Storage/storageAccounts/tableServices': '2025-01-01',
  'Microsoft.Storage/storageAccounts/tableServices/tables': '2025-01-01',
  'Microsoft.OperationalInsights/workspaces': '2025-02-01',
  'Microsoft.Insights/components': '2020-02-02',
  'Microsoft.KeyVault/vaults': '2024-11-01',
  'Microsoft.KeyVault/vaults/secrets': '2024-11-01',
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.Authorization/roleDefinitions': '2022-04-01',
  'Microsoft.Insights/diagnosticSettings': '2021-05-01-preview',
  'Microsoft.Insights/scheduledQueryRules': '2023-12-01',
  'Microsoft.Insights/actionGroups': '2023-01-01',
  'Microsoft.Insights/workbooks': '2023-06-01',
  'Microsoft.Web/serverfarms': '2024-11-01',
  'Microsoft.Web/sites': '2024-11-01',
  'Microsoft.Web/sites/config': '2024-11-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': '2024-11-01',
};

/** Settings read outside lib/config.ts: the timer's schedule and the log level. */
const RUNTIME_SETTINGS = ['SYNC_SCHEDULE', 'LOG_LEVEL'];

/** Environment variables the code reads directly (`process.env.X`, `env.X`, `env['X']`) or binds (`%X%`). */
function settingsReadBySource(): string[] {
  const names = new Set<string>();
  for (const file of [...filesUnder('lib', /\.ts$/), ...filesUnder('functions', /\.ts$/)]) {
    const text = read(file);
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\])/g)) names.add(m[1] ?? m[2]);
    for (const m of text.matchAll(/%([A-Za-z_][A-Za-z0-9_]*)%/g)) names.add(m[1]);
  }
  return [...names].sort();
}

/** Set by the platform or by the developer's machine, never by us. */
const NOT_APP_SETTINGS = /^(WEBSITE_|FUNCTIONS_|CONTAINER_|IDENTITY_|MSI_|NODE_|CI$|TERM$|NO_COLOR$|FORCE_COLOR$|HOME$|PATH$)/;

function expectedSettings(): string[] {
  const fromSchema = Object.keys(settingsSchema.shape);
  const fromSource = settingsReadBySource().filter((n) => !NOT_APP_SETTINGS.test(n));
  return [...new Set([...fromSchema, ...RUNTIME_SETTINGS, ...fromSource])].sort();
}

/** Azure-only settings have no place in the local sample (Azurite + a developer login instead). */
const AZURE_ONLY = new Set(['AZURE_CLIENT_ID', 'AZURE_TOKEN_CREDENTIALS']);

describe('bicepText helpers', () => {
  it('tells comments, strings and interpolations apart', () => {
    const src = "var a = { // note: { not a brace\n  url: 'https://x/${f('}')}/y' // tail\n  'b-c': [1, { d: 2 }]\n  e: '''\n  f: 1\n'''\n}\n";
    expect(topLevelKeys(objectAfter(src, /var a = \{/))).toEqual(['url', 'b-c', 'e']);
    expect(stripComments(src)).not.toContain('note');
    expect(stripComments(src)).toContain("'https://x/${f('}')}/y'");
    expect(classify("'a${b}c'").join(',')).toBe('string,string,string,string,code,string,string,string');
  });

  it('reads params with their decorators and defaults', () => {
    const src = "@secure()\n@description('k')\nparam key string = ''\nvar x = 1\n@minValue(1)\nparam n int = 3\nparam req string\n";
    expect(params(src)).toEqual([
      { name: 'key', type: 'string', defaultValue: "''", decorators: "@secure()\n@description('k')" },
      { name: 'n', type: 'int', defaultValue: '3', decorators: '@minValue(1)' },
      { name: 'req', type: 'string', defaultValue: undefined, decorators: '' },
    ]);
  });
});

describe('settings contract: lib/config.ts = local.settings.sample.json = Function App settings', () => {
  const expected = expectedSettings();

  it('knows every setting the code reads', () => {
    // Guard against a vacuous pass: the schema alone has 15 settings.
    expect(expected).toEqual(expect.arrayContaining(['THREATFOX_AUTH_KEY', 'SENTINEL_WORKSPACE_NAME', 'SYNC_SCHEDULE', 'LOG_LEVEL']));
    expect(expected.length).toBeGreaterThanOrEqual(17);
  });

  it('lists every setting in local.settings.sample.json, as strings', () => {
    const missing = expected.filter((n) => !AZURE_ONLY.has(n) && !(n in localSettings.Values));
    expect(missing).toEqual([]);
    for (const [name, value] of Object.entries(localSettings.Values)) {
      expect([name, typeof value]).toEqual([name, 'string']);
    }
  });

  it('documents every setting in the settings table of docs/settings.md (the README links there)', () => {
    const documented = new Set(
      read('docs/settings.md')
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) => [...line.split(' | ')[0].matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1])),
    );
    expect(expected.filter((n) => !documented.has(n))).toEqual([]);
    expect(read('README.md')).toContain('](docs/settings.md)');
  });

  it('sets every setting on the Function App', () => {
    const missing = expected.filter((n) => !bicepSettingNames.includes(n));
    expect(missing).toEqual([]);
  });

  it('connects host storage by identity: no connection string, every service URI, the user-assigned identity', () => {
    expect(bicepSettingNames).not.toContain(STORAGE_CONNECTION);
    for (const suffix of ['accountName', 'blobServiceUri', 'queueServiceUri', 'tableServiceUri', 'credential', 'clientId']) {
      expect(bicepSettingNames).toContain(`${STORAGE_CONNECTION}__${suffix}`);
    }
    expect(unquote(valueOf(bicepAppSettings, `${STORAGE_CONNECTION}__credential`)!)).toBe('managedidentity');
    expect(valueOf(bicepAppSettings, `${STORAGE_CONNECTION}__clientId`)).toBe('identityClientId');
    expect(valueOf(bicepAppSettings, 'AZURE_CLIENT_ID')).toBe('identityClientId');
    expect(unquote(valueOf(bicepAppSettings, 'AZURE_TOKEN_CREDENTIALS')!)).toBe('ManagedIdentityCredential');
    expect(valueOf(bicepAppSettings, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identityClientId};Authorization=AAD'");
  });

  it('leaves out the settings Flex Consumption rejects', () => {
    for (const banned of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_NODE_DEFAULT_VERSION', 'WEBSITE_CONTENTSHARE']) {
      expect(bicepSettingNames).not.toContain(banned);
    }
  });

  it('passes main.bicep values for exactly the settings functionApp.bicep declares', () => {
    const declared = topLevelKeys(objectAfter(functionAppBicep, /type syncSettingsType = \{/)).sort();
    const passed = topLevelKeys(objectAfter(mainBicep, /syncSettings: \{/)).sort();
    expect(passed).toEqual(declared);
    for (const name of declared) expect(valueOf(bicepAppSettings, name)).toBe(`syncSettings.${name}`);
  });

  it('uses the same defaults in main.bicep, the local sample and lib/config.ts', () => {
    const mainParams = new Map(params(mainBicep).map((p) => [p.name, p]));
    const syncSettings = objectAfter(mainBicep, /syncSettings: \{/);
    const bicepDefault = (expr: string): string | undefined => {
      const inner = /^string\((\w+)\)$/.exec(expr)?.[1] ?? expr;
      const param = mainParams.get(inner);
      if (param?.defaultValue !== undefined) return param.defaultValue.startsWith("'") ? unquote(param.defaultValue) : param.defaultValue;
      // `var effectiveX = empty(x) ? '<default>' : x`: azd passes '' for an unset variable.
      const fallback = new RegExp(`^var ${inner} = empty\\(\\w+\\) \\? ('[^']*') : \\w+$`, 'm').exec(stripComments(mainBicep));
      return fallback ? unquote(fallback[1]) : undefined;
    };
    const compared: string[] = [];
    for (const name of topLevelKeys(syncSettings)) {
      const def = bicepDefault(valueOf(syncSettings, name)!);
      if (def === undefined) continue; // required or cloud-derived (workspace, subscription, ARM endpoint)
      compared.push(name);
      expect([name, def]).toEqual([name, localSettings.Values[name]]);
    }
    expect(compared.length).toBeGreaterThanOrEqual(12);

    // The sample's values are exactly what the code falls back to when a setting is unset.
    const values = localSettings.Values as Record<string, string>;
    // Except that the sample names its families, which is what lets a full run remove others' queries.
    const fromSample = loadSettings(values);
    expect(fromSample.sentinel.familyCleanup).toBe(true);
    expect({ ...fromSample, sentinel: { ...fromSample.sentinel, familyCleanup: false } }).toEqual(loadSettings({}));
  });

  it('runs `func start` as it is: Azurite for storage, the node worker, a timer schedule the host accepts', () => {
    const values = localSettings.Values as Record<string, string>;
    expect(localSettings.IsEncrypted).toBe(false);
    expect(values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    // NCRONTAB with seconds: six fields, each a number, a star, a step, a range or a list.
    expect(values.SYNC_SCHEDULE.split(' ')).toEqual(Array(6).fill(expect.stringMatching(/^(\*|\d+(-\d+)?)(\/\d+)?(,\d+(-\d+)?)*$/)));
  });

  it('feeds THREATFOX_AUTH_KEY from Key Vault through the user-assigned identity', () => {
    expect(valueOf(bicepAppSettings, 'THREATFOX_AUTH_KEY')).toBe("'@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${threatFoxSecretName}/)'");
    expect(stripComments(functionAppBicep)).toMatch(/^\s*keyVaultReferenceIdentity: identityId$/m);
  });
});

describe('host.json', () => {
  it('is a v2 host on extension bundle 4.x', () => {
    expect(hostJson.version).toBe('2.0');
    expect(hostJson.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  });

  const timespanSeconds = (t: string) => {
    const [h, m, sec] = t.split(':').map(Number);
    return h * 3600 + m * 60 + sec;
  };

  it('retries a failed batch after a pause before parking it, one message at a time per instance', () => {
    const queues = hostJson.extensions.queues;
    expect(queues.maxDequeueCount).toBeGreaterThan(1);
    expect(timespanSeconds(queues.visibilityTimeout)).toBeGreaterThan(0);
    // The host runs batchSize + newBatchThreshold messages at once: one, so ARM_CONCURRENCY bounds an instance's writes.
    expect(queues.batchSize + queues.newBatchThreshold).toBe(1);
    // The functions send and park messages in this encoding (functions/shared/host.ts reads it).
    expect(['base64', 'none']).toContain(queues.messageEncoding);
  });

  it('lets a run reach its own deadline before the host stops it, within the 60 minutes Flex Consumption grants', () => {
    const timeout = timespanSeconds(hostJson.functionTimeout as string);
    expect(timeout).toBeLessThanOrEqual(60 * 60);
    expect(loadSettings({}).sentinel.runDeadlineSeconds).toBeLessThan(timeout);
    expect(loadSettings(localSettings.Values as Record<string, string>).sentinel.runDeadlineSeconds).toBeLessThan(timeout);
  });

  it('samples telemetry but never requests', () => {
    expect(hostJson.logging.applicationInsights.samplingSettings).toMatchObject({ isEnabled: true, excludedTypes: 'Request' });
  });
});

describe('Function App', () => {
  const code = stripComments(functionAppBicep);

  it('runs Node.js 22 on Flex Consumption (FC1, Linux)', () => {
    const runtime = objectAfter(functionAppBicep, /runtime: \{/);
    expect(unquote(valueOf(runtime, 'name')!)).toBe('node');
    expect(unquote(valueOf(runtime, 'version')!)).toBe('22');
    const sku = objectAfter(functionAppBicep, /sku: \{/);
    expect(unquote(valueOf(sku, 'name')!)).toBe('FC1');
    expect(unquote(valueOf(sku, 'tier')!)).toBe('FlexConsumption');
    expect(code).toMatch(/^\s*kind: 'functionapp,linux'$/m);
    expect(code).toMatch(/^\s*reserved: true$/m);
  });

  it('deploys the package with the user-assigned identity and caps scale-out', () => {
    const storage = objectAfter(functionAppBicep, /storage: \{/);
    expect(unquote(valueOf(storage, 'type')!)).toBe('blobContainer');
    expect(unquote(valueOf(objectAfter(storage, /authentication: \{/), 'type')!)).toBe('UserAssignedIdentity');
    const scale = objectAfter(functionAppBicep, /scaleAndConcurrency: \{/);
    expect(topLevelKeys(scale).sort()).toEqual(['instanceMemoryMB', 'maximumInstanceCount']);
  });

  it('is the azd service "api" of azure.yaml, built from package.json main', () => {
    const azureYaml = read('azure.yaml');
    expect(azureYaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    expect(unquote(params(functionAppBicep).find((p) => p.name === 'serviceName')!.defaultValue!)).toBe('api');
    expect(readJson('package.json').main).toBe('dist/functions/*.js');
  });
});

describe('roles', () => {
  it('grants each principal only the roles it needs, each on the one resource it needs it for', () => {
    expect(roleAssignments()).toEqual(NEEDED_ASSIGNMENTS);
  });

  it('names only verified built-in role ids, never a broad role, and writes role GUIDs nowhere but roles.bicep', () => {
    const ids = Object.values(roleIdsByName());
    expect(ids.filter((id) => !(id in BUILT_IN_ROLES))).toEqual([]);
    expect(ids.map((id) => BUILT_IN_ROLES[id]).filter((name) => BROAD_ROLES.includes(name))).toEqual([]);
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
    for (const file of BICEP_FILES.filter((f) => !f.endsWith('roles.bicep'))) {
      expect([file, stripComments(read(file)).match(guid)]).toEqual([file, null]);
    }
  });

  it('grants the Sentinel role on every listed workspace, each deployed into its own resource group', () => {
    const sentinel = stripComments(read('infra/modules/sentinelAccess.bicep'));
    expect(sentinel).toContain('roleDefinitionIds.microsoftSentinelContributor');
    expect(sentinel).toMatch(/^\s*scope: workspace$/m);
    const main = stripComments(mainBicep);
    // One module instance per workspace resource id, scoped to that id's subscription and resource group.
    expect(main).toMatch(/module sentinelAccess 'modules\/sentinelAccess\.bicep' = \[\s*for \(workspaceId, i\) in sentinelWorkspaceIds: if \(assignSentinelRole\) \{/);
    expect(main).toMatch(/^\s*name: 'sentinelAccess-\$\{i\}-\$\{resourceToken\}'$/m);
    expect(main).toMatch(/^\s*scope: resourceGroup\(split\(workspaceId, '\/'\)\[2\], split\(workspaceId, '\/'\)\[4\]\)$/m);
    expect(main).toMatch(/^\s*workspaceName: last\(split\(workspaceId, '\/'\)\)$/m);
    // The list comes from the one required parameter, sentinelWorkspaces (SENTINEL_WORKSPACES).
    expect(main).toMatch(/^var sentinelWorkspaceIds = filter\(map\(split\(sentinelWorkspaces, ','\), id => trim\(id\)\), id => !empty\(id\)\)$/m);
    expect(main).toMatch(/^output SENTINEL_WORKSPACE_IDS string = join\(sentinelWorkspaceIds, ','\)$/m);
    expect(readJson('infra/main.parameters.json').parameters.sentinelWorkspaces.value).toBe('${SENTINEL_WORKSPACES}');
  });

  it('makes the workspace list the one required input, so azd asks for it', () => {
    const required = params(mainBicep).filter((p) => p.defaultValue === undefined).map((p) => p.name);
    expect(required.sort()).toEqual(['environmentName', 'location', 'sentinelWorkspaces']);
    const p = params(mainBicep).find((x) => x.name === 'sentinelWorkspaces')!;
    expect(p.decorators).toContain('@minLength(1)');
    expect(p.decorators).toMatch(/@description\('[^']*resource ids[^']*az monitor log-analytics workspace show/);
    for (const gone of ['sentinelResourceGroup', 'sentinelWorkspaceName', 'sentinelSubscriptionId'])
      expect(params(mainBicep).map((x) => x.name)).not.toContain(gone);
  });

  it('sets SENTINEL_WORKSPACES, never the single-workspace settings as well', () => {
    const sync = objectAfter(mainBicep, /syncSettings: \{/);
    expect(valueOf(sync, 'SENTINEL_WORKSPACES')).toBe("join(sentinelWorkspaceIds, ',')");
    for (const single of ['AZURE_SUBSCRIPTION_ID', 'SENTINEL_RESOURCE_GROUP', 'SENTINEL_WORKSPACE_NAME']) {
      expect(valueOf(sync, single)).toBe("''");
    }
    // The app reads '' as unset, so the list alone is not "both set".
    const list = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law-a';
    expect(loadSettings({ SENTINEL_WORKSPACES: list, AZURE_SUBSCRIPTION_ID: '', SENTINEL_RESOURCE_GROUP: '', SENTINEL_WORKSPACE_NAME: '' }).sentinel.workspaces).toHaveLength(1);
  });
});

describe('resources', () => {
  it('uses only resource types and api-versions that were verified', () => {
    const used = BICEP_FILES.flatMap((f) => resourceTypes(read(f)));
    expect(used.length).toBeGreaterThanOrEqual(20);
    const unverified = used.filter((u) => VERIFIED_API_VERSIONS[u.type] !== u.apiVersion);
    expect(unverified).toEqual([]);
  });

  it('creates the queue, poison queue, table and containers the code uses (lib/names)', () => {
    const storageParams = new Map(params(storageBicep).filter((p) => p.type === 'string').map((p) => [p.name, p.defaultValue && unquote(p.defaultValue)]));
    expect(storageParams.get('queueName')).toBe(IOC_QUEUE);
    expect(storageParams.get('poisonQueueName')).toBe(IOC_POISON_QUEUE);
    expect(storageParams.get('batchContainerName')).toBe(BATCH_CONTAINER);
    expect(storageParams.get('stateTableName')).toBe(STATE_TABLE);
    const code = stripComments(storageBicep);
    for (const parent of ['queueService', 'blobService', 'tableService']) expect(code).toContain(`parent: ${parent}`);
  });

  it('locks the storage account to Entra ID and TLS 1.2', () => {
    const props = objectAfter(storageBicep, /properties: \{/);
    expect(valueOf(props, 'allowSharedKeyAccess')).toBe('false');
    expect(valueOf(props, 'allowBlobPublicAccess')).toBe('false');
    expect(unquote(valueOf(props, 'minimumTlsVersion')!)).toBe('TLS1_2');
    expect(valueOf(props, 'supportsHttpsTrafficOnly')).toBe('true');
  });

  it('keeps the key in a vault with RBAC, soft delete and purge protection', () => {
    const props = objectAfter(keyVaultBicep, /properties: \{/);
    expect(valueOf(props, 'enableRbacAuthorization')).toBe('true');
    expect(valueOf(props, 'enableSoftDelete')).toBe('true');
    expect(valueOf(props, 'enablePurgeProtection')).toBe('true');
  });

  it('disables local auth on Application Insights', () => {
    expect(objectAfter(read('infra/modules/monitoring.bicep'), /resource applicationInsights [^{]*\{/)).toMatch(/DisableLocalAuth: true/);
  });
});

describe('no secrets committed', () => {
  const files = [
    ...BICEP_FILES,
    'infra/main.parameters.json',
    'infra/abbreviations.json',
    'azure.yaml',
    'host.json',
    'local.settings.sample.json',
    '.funcignore',
    'docs/deploy.md',
  ];

  it('has no keys, connection strings or tokens in deployment files', () => {
    for (const file of files) {
      const text = read(file);
      expect([file, text.match(/AccountKey=|SharedAccessSignature=|InstrumentationKey=[0-9a-f]|[?&]sig=|-----BEGIN/i)]).toEqual([file, null]);
      // Long opaque tokens: hex (a ThreatFox Auth-Key) or base64 (storage keys); GUIDs are shorter,
      // and resource type paths (letters and slashes only) are not tokens.
      expect([file, text.match(/\b[0-9a-f]{32,}\b/i)]).toEqual([file, null]);
      const base64ish = (text.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []).filter((t) => /\d.*\d/.test(t) && /[A-Z]/.test(t) && /[a-z]/.test(t));
      expect([file, base64ish]).toEqual([file, []]);
    }
  });

  it('leaves the ThreatFox key empty in the sample and substitutes it from the azd environment', () => {
    expect(localSettings.Values.THREATFOX_AUTH_KEY).toBe('');
    const parameters = readJson('infra/main.parameters.json').parameters;
    expect(parameters.threatFoxAuthKey.value).toBe('${THREATFOX_AUTH_KEY}');
    for (const [name, { value }] of Object.entries<{ value: string }>(parameters)) {
      expect([name, value]).toEqual([name, expect.stringMatching(/^\$\{[A-Z_]+(=[A-Za-z0-9_-]*)?\}$/)]);
    }
  });

  it('marks every secret-looking parameter @secure() and never outputs it', () => {
    const secretName = /key|secret|password|token/i;
    let checked = 0;
    for (const file of BICEP_FILES) {
      const code = stripComments(read(file));
      for (const p of params(read(file)).filter((x) => secretName.test(x.name) && !/(Name|Uri|Exists)$/.test(x.name))) {
        checked++;
        expect([file, p.name, p.decorators]).toEqual([file, p.name, expect.stringContaining('@secure()')]);
        expect(code).not.toMatch(new RegExp(`^output .*\\b${p.name}\\b`, 'm'));
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2); // main.bicep and keyVault.bicep both take the key
  });
});
