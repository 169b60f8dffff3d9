/**
 * The deploy contract as text (no Bicep compiler or azd here): the azd version azure.yaml requires,
 * how azd environment variables map onto main.bicep parameters, the scale-out default, and the
 * Sentinel role assignment that must survive a hand-made grant followed by another provision.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse as parseYaml } from 'yaml';
import { objectAfter, params, stripComments, unquote, valueOf, type BicepParam } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const mainBicep = read('infra/main.bicep');
const mainCode = stripComments(mainBicep);
const functionAppBicep = read('infra/modules/functionApp.bicep');
const sentinelAccess = stripComments(read('infra/modules/sentinelAccess.bicep'));
const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
const mainParams = new Map<string, BicepParam>(params(mainBicep).map((p) => [p.name, p]));
const deployDoc = read('docs/deploy.md');

type Version = [number, number, number];
const version = (text: string): Version => {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`not a version: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** azd's requiredVersions constraint (space-separated comparators, all must hold). */
function satisfies(constraint: string, v: string): boolean {
  return constraint
    .trim()
    .split(/\s+(?=[<>=!])/)
    .every((part) => {
      const m = /^(>=|<=|>|<|!=|=)?\s*(\d+\.\d+\.\d+)$/.exec(part.trim());
      if (!m) throw new Error(`unreadable constraint part: ${part}`);
      const c = compare(version(v), version(m[2]));
      return { '>=': c >= 0, '<=': c <= 0, '>': c > 0, '<': c < 0, '!=': c !== 0, '=': c === 0, '': c === 0 }[m[1] ?? ''];
    });
}

/** `${NAME=default}` → {name, default}. */
function azdVariable(value: string): { name: string; fallback?: string } {
  const m = /^\$\{([A-Z_][A-Z0-9_]*)(?:=([^}]*))?\}$/.exec(value);
  if (!m) throw new Error(`not an azd variable: ${value}`);
  return { name: m[1], fallback: m[2] };
}

const decoratorNumber = (p: BicepParam, name: 'minValue' | 'maxValue') => {
  const m = new RegExp(`@${name}\\((\\d+)\\)`).exec(p.decorators);
  return m ? Number(m[1]) : undefined;
};

describe('azure.yaml', () => {
  const azureYaml = parseYaml(read('azure.yaml')) as { requiredVersions?: { azd?: string } };

  it('requires azd 1.24.1 or later (older azd down deletes the Sentinel workspace\'s resource group too)', () => {
    const constraint = azureYaml.requiredVersions?.azd;
    expect(constraint).toBe('>= 1.24.1');
    expect(satisfies(constraint!, '1.24.1')).toBe(true);
    expect(satisfies(constraint!, '1.25.0')).toBe(true);
    expect(satisfies(constraint!, '2.0.0')).toBe(true);
    expect(satisfies(constraint!, '1.24.0')).toBe(false);
    expect(satisfies(constraint!, '1.23.9')).toBe(false);
  });

  it('says the same in docs/deploy.md and the README', () => {
    expect(deployDoc).toMatch(/azd.{0,40}1\.24\.1 or later/i);
    expect(read('README.md')).toMatch(/1\.24\.1 or later/);
  });
});

describe('main.parameters.json → main.bicep', () => {
  it('maps every entry to a main.bicep parameter, from an azd environment variable', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      expect([name, mainParams.has(name)]).toEqual([name, true]);
      expect(() => azdVariable(value)).not.toThrow();
    }
  });

  it('gives every required main.bicep parameter a value', () => {
    const required = [...mainParams.values()].filter((p) => p.defaultValue === undefined).map((p) => p.name);
    // environmentName and location; the workspace is either sentinelResourceGroup/sentinelWorkspaceName or sentinelWorkspaces.
    expect(required.length).toBeGreaterThanOrEqual(2);
    expect(required.filter((n) => !(n in parameters))).toEqual([]);
  });

  it('keeps every fallback inside the parameter\'s type and bounds', () => {
    let checked = 0;
    for (const [name, { value }] of Object.entries(parameters)) {
      const { fallback } = azdVariable(value);
      if (fallback === undefined) continue;
      const p = mainParams.get(name)!;
      checked += 1;
      if (p.type === 'int') {
        expect([name, /^\d+$/.test(fallback)]).toEqual([name, true]);
        const n = Number(fallback);
        expect([name, n >= (decoratorNumber(p, 'minValue') ?? -Infinity) && n <= (decoratorNumber(p, 'maxValue') ?? Infinity)]).toEqual([name, true]);
      } else if (p.type === 'bool') {
        expect([name, fallback]).toEqual([name, expect.stringMatching(/^(true|false)$/)]);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('makes maximumInstanceCount an azd parameter (MAXIMUM_INSTANCE_COUNT) defaulting to 40, the cap every Flex region accepts', () => {
    expect(azdVariable(parameters.maximumInstanceCount.value)).toEqual({ name: 'MAXIMUM_INSTANCE_COUNT', fallback: '40' });
    const p = mainParams.get('maximumInstanceCount')!;
    expect(p.type).toBe('int');
    expect(p.defaultValue).toBe('40');
    expect(decoratorNumber(p, 'maxValue')).toBe(1000);
    // The template default and the azd default agree, so `azd up` and a plain Bicep deployment match.
    expect(Number(p.defaultValue)).toBe(Number(azdVariable(parameters.maximumInstanceCount.value).fallback));
  });

  it('passes maximumInstanceCount through to the Flex scale settings, with no second default in the module', () => {
    const functionAppModule = objectAfter(mainBicep, /module functionApp 'modules\/functionApp\.bicep' = \{/);
    expect(valueOf(objectAfter(functionAppModule, /params: \{/), 'maximumInstanceCount')).toBe('maximumInstanceCount');
    const moduleParam = params(functionAppBicep).find((p) => p.name === 'maximumInstanceCount')!;
    expect(moduleParam.defaultValue).toBeUndefined();
    expect(valueOf(objectAfter(functionAppBicep, /scaleAndConcurrency: \{/), 'maximumInstanceCount')).toBe('maximumInstanceCount');
  });

  it('remembers ASSIGN_SENTINEL_ROLE in the azd environment, default on', () => {
    expect(azdVariable(parameters.assignSentinelRole.value)).toEqual({ name: 'ASSIGN_SENTINEL_ROLE', fallback: 'true' });
    expect(mainParams.get('assignSentinelRole')!.type).toBe('bool');
  });
});

describe('the Sentinel role assignment is idempotent', () => {
  /** `guid(<workspace>, identity.outputs.principalId, sentinelRoleKey)`: the one way a name is made. */
  const nameOf = (workspace: string) => `guid(${workspace}, identity.outputs.principalId, sentinelRoleKey)`;

  it('is made from the workspace, the identity and the role only, where it is used, never through a lambda over a module output', () => {
    // The role is part of the name: the custom role (arm) or Microsoft Sentinel Contributor (upload).
    expect(mainCode).toMatch(
      /^var sentinelRoleKey = sentinelWritePath == 'arm' \? 'threatfox-sentinel-sync' : roleDefinitionIds\.microsoftSentinelContributor$/m,
    );
    const guids = mainCode.match(/guid\([^)]*\)/g) ?? [];
    expect(guids.sort()).toEqual([nameOf('id'), nameOf('sentinelWorkspaceId'), nameOf('workspaceId')].sort());
    // Nothing that changes between provisions, and no map()/filter() lambda reading a module's outputs (Azure/bicep#9227).
    expect(guids.join(' ')).not.toMatch(/utcNow|newGuid|deployment\(\)|resourceToken/);
    expect(mainCode).not.toMatch(/=> [^\n]*\.outputs\./);
    expect(mainCode).toMatch(/^var sentinelWorkspaceId = sentinelWorkspaceIds\[0\]$/m);
  });

  it('the module gets the name from the loop body, not a guid of its own', () => {
    expect(sentinelAccess).toMatch(/^\s*name: roleAssignmentName$/m);
    expect(sentinelAccess).not.toMatch(/^\s*name: guid\([^)]*identityPrincipalId/m);
    const sentinelModule = objectAfter(mainBicep, /for \(workspaceId, i\) in sentinelWorkspaceIds: if \(assignSentinelRole\) \{/);
    expect(valueOf(objectAfter(sentinelModule, /params: \{/), 'roleAssignmentName')).toBe(nameOf('workspaceId'));
  });

  it('outputs the name and the scope, and deploy.md has the administrator grant with exactly them', () => {
    expect(mainCode).toContain(`output SENTINEL_ROLE_ASSIGNMENT_NAME string = ${nameOf('sentinelWorkspaceId')}\n`);
    expect(mainCode).toContain(`output SENTINEL_ROLE_ASSIGNMENT_NAMES array = [for id in sentinelWorkspaceIds: ${nameOf('id')}]\n`);
    expect(mainCode).toMatch(/^output SENTINEL_WORKSPACE_ID string = sentinelWorkspaceId$/m);
    expect(mainCode).toMatch(/^output APP_IDENTITY_PRINCIPAL_ID string = /m);
    const grant = /az role assignment create[^`]*?(?=\n```)/.exec(deployDoc)?.[0] ?? '';
    expect(grant).toContain('--name "$(azd env get-value SENTINEL_ROLE_ASSIGNMENT_NAME)"');
    expect(grant).toContain('--assignee-object-id "$(azd env get-value APP_IDENTITY_PRINCIPAL_ID)"');
    expect(grant).toContain('--scope "$(azd env get-value SENTINEL_WORKSPACE_ID)"');
    expect(grant).toContain('--role "Microsoft Sentinel Contributor"');
    expect(unquote("'Microsoft Sentinel Contributor'")).toBe('Microsoft Sentinel Contributor');
  });
});

describe('docs/deploy.md says what a deployer must know', () => {
  it('portal edits to app settings are replaced by the next provision', () => {
    expect(deployDoc).toMatch(/portal[^.]*app settings?[^.]*replaced[^.]*next (`azd up`|provision)/i);
  });

  it('the rights on the Sentinel resource group, nested deployment included', () => {
    expect(deployDoc).toContain('Microsoft.Resources/deployments/write');
    expect(deployDoc).toMatch(/Microsoft\.Authorization\/roleAssignments\/write/);
  });

  it('the ARM concurrency bound is per instance', () => {
    expect(deployDoc).toMatch(/`ARM_CONCURRENCY`[^.]*per instance/i);
  });

  it('what to do about RoleAssignmentExists and the instance-count floor', () => {
    expect(deployDoc).toContain('RoleAssignmentExists');
    expect(deployDoc).toContain('MAXIMUM_INSTANCE_COUNT');
  });
});
