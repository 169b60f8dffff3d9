/**
 * The azd hooks (scripts/hooks/*.js), run for real with stand-ins for `az` and `azd` on PATH that
 * record their arguments and answer as told: no Azure, no network.
 */
import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative, sep } from 'path';
import { parse as parseYaml } from 'yaml';
import { objectAfter, stripComments } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Stand {
  /** The stand-in's answer: stdout and exit code, chosen from its arguments. */
  answer?: (args: string) => { stdout?: string; stderr?: string; code?: number; files?: Record<string, string> };
}

/** Runs a hook in a scratch project with fake az/azd; returns its result and every CLI call made. */
function runHook(
  script: string,
  options: {
    env?: Record<string, string>;
    envFile?: string;
    files?: Record<string, string>;
    az?: Stand['answer'];
    azd?: Stand['answer'];
    npm?: Stand['answer'];
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'hook-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const log = join(dir, 'calls.log');
    // Each stand-in logs "tool args" and answers from a table written next to it (args -> reply).
    for (const tool of ['az', 'azd', 'npm'] as const) {
      const answer = options[tool];
      const replies = join(dir, `${tool}.json`);
      writeFileSync(replies, JSON.stringify({}));
      const fake = join(bin, tool);
      writeFileSync(
        fake,
        `#!${process.execPath}\n` +
          `const fs=require('fs');const path=require('path');const args=process.argv.slice(2).join(' ');` +
          `const where=path.relative(${JSON.stringify(dir)}, process.cwd());` +
          `fs.appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(tool)}+' '+args+(where?' @'+where.split(path.sep).join('/'):'')+'\\n');` +
          `const r=(${answer ? answer.toString() : '() => ({})'})(args);` +
          // Files the stand-in "creates" where it runs (what npm ci would install).
          `for(const [f,t] of Object.entries(r.files||{})){fs.mkdirSync(path.dirname(f),{recursive:true});fs.writeFileSync(f,t);}` +
          `process.stdout.write(r.stdout||'');process.stderr.write(r.stderr||'');process.exit(r.code||0);\n`,
      );
      chmodSync(fake, 0o755);
    }
    for (const [file, text] of Object.entries(options.files ?? {})) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    if (options.envFile !== undefined) {
      mkdirSync(join(dir, '.azure', 'dev'), { recursive: true });
      writeFileSync(join(dir, '.azure', 'dev', '.env'), options.envFile);
    }
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'hooks', script)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, AZURE_ENV_NAME: 'dev', ...options.env },
    });
    let calls: string[] = [];
    try {
      calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      // no CLI was called
    }
    const listing = (sub: string): string[] => {
      const base = join(dir, sub);
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(d, e.name)) : [relative(base, join(d, e.name)).split(sep).join('/')],
        );
      return existsSync(base) ? walk(base).sort() : [];
    };
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, packaged: listing('dist/package') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('preprovision: the ThreatFox key is never plain text and never overwritten', () => {
  const PLAIN = 'THREATFOX_AUTH_KEY="0123abcd-plain-key"\n';

  it('refuses a key azd env set stored in plain text, without printing it', () => {
    const r = runHook('preprovision.js', { envFile: PLAIN });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plain text.*\n.*azd env set THREATFOX_AUTH_KEY ""\n.*azd env set-secret THREATFOX_AUTH_KEY/s);
    expect(r.stderr + r.stdout).not.toContain('0123abcd');
    expect(r.calls).toEqual([]);
  });

  it('accepts a set-secret reference and reports an existing secret, listing names only', () => {
    const r = runHook('preprovision.js', {
      envFile: 'THREATFOX_AUTH_KEY="akvs://sub/vault/threatfox"\n',
      env: { AZURE_KEY_VAULT_NAME: 'kv-abc' },
      az: () => ({ stdout: 'other\nthreatfox-auth-key\n' }),
    });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'az keyvault secret list --vault-name kv-abc --query [].name -o tsv',
      'azd env set THREATFOX_SECRET_EXISTS true',
    ]);
  });

  it('lets the first provision write the key: no vault yet, nothing asked of az', () => {
    const r = runHook('preprovision.js', { envFile: '' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['azd env set THREATFOX_SECRET_EXISTS false']);
  });

  it('says false when the vault lacks the secret or is gone, and true (leave it) when it cannot tell', () => {
    const missing = runHook('preprovision.js', { env: { AZURE_KEY_VAULT_NAME: 'kv-abc' }, az: () => ({ stdout: 'other\n' }) });
    expect(missing.calls.at(-1)).toBe('azd env set THREATFOX_SECRET_EXISTS false');
    const gone = runHook('preprovision.js', {
      env: { AZURE_KEY_VAULT_NAME: 'kv-abc' },
      az: () => ({ stderr: 'ERROR: (VaultNotFound) The vault kv-abc could not be found', code: 1 }),
    });
    expect(gone.calls.at(-1)).toBe('azd env set THREATFOX_SECRET_EXISTS false');
    const denied = runHook('preprovision.js', {
      env: { AZURE_KEY_VAULT_NAME: 'kv-abc' },
      az: () => ({ stderr: 'ERROR: (Forbidden) Caller is not authorized', code: 1 }),
    });
    expect(denied.status).toBe(0);
    expect(denied.stderr).toMatch(/left as it is/);
    expect(denied.calls.at(-1)).toBe('azd env set THREATFOX_SECRET_EXISTS true');
  });

  it('is wired: azure.yaml runs it before provisioning, and the template writes the secret only when absent', () => {
    const hooks = (parseYaml(read('azure.yaml')) as { hooks: Record<string, Record<string, { run: string }>> }).hooks;
    expect(hooks.preprovision.posix.run).toBe('node scripts/hooks/preprovision.js');
    expect(hooks.preprovision.windows.run).toBe('node scripts/hooks/preprovision.js');
    const kv = stripComments(read('infra/modules/keyVault.bicep'));
    expect(kv).toMatch(
      /^resource threatFoxSecret 'Microsoft\.KeyVault\/vaults\/secrets@2024-11-01' = if \(!empty\(threatFoxAuthKey\) && !threatFoxSecretExists\) \{$/m,
    );
    const parameters = JSON.parse(read('infra/main.parameters.json')).parameters;
    expect(parameters.threatFoxSecretExists.value).toBe('${THREATFOX_SECRET_EXISTS=false}');
    expect(objectAfter(read('infra/main.bicep'), /module keyVault 'modules\/keyVault\.bicep' = \{/)).toMatch(
      /threatFoxSecretExists: threatFoxSecretExists/,
    );
  });

  it('docs/deploy.md says set-secret or Key Vault only, and that a rotation stands', () => {
    const doc = read('docs/deploy.md');
    expect(doc).toContain('azd env set-secret THREATFOX_AUTH_KEY');
    expect(doc).toMatch(/never overwrites? a rotated/i);
    expect(doc).not.toMatch(/azd env set THREATFOX_AUTH_KEY <key>/);
  });
});

describe('predown: azd down leaves none of our roles behind', () => {
  const WS_A = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-a';
  const WS_B = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-b';
  const RG = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-soc';
  const outputs = { APP_IDENTITY_PRINCIPAL_ID: 'aaaaaaaa-0000-0000-0000-000000000001', SENTINEL_WORKSPACE_IDS: `${WS_A}, ${WS_B}` };

  it('removes the identity\'s assignments on every workspace, then the custom role of their resource group once', () => {
    const r = runHook('predown.js', {
      env: outputs,
      az: (args: string) =>
        args.startsWith('role definition list')
          ? { stdout: JSON.stringify([{ name: 'r1', roleName: 'ThreatFox Sentinel Sync (rg-soc, abc123)' }, { name: 'r2', roleName: 'Someone else' }]) }
          : {},
    });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      `az role assignment delete --assignee aaaaaaaa-0000-0000-0000-000000000001 --scope ${WS_A}`,
      `az role assignment delete --assignee aaaaaaaa-0000-0000-0000-000000000001 --scope ${WS_B}`,
      `az role definition list --custom-role-only true --scope ${RG} -o json`,
      `az role definition delete --name r1 --scope ${RG}`,
    ]);
  });

  it('keeps a custom role another deployment still holds, and is done', () => {
    const r = runHook('predown.js', {
      env: { ...outputs, SENTINEL_WORKSPACE_IDS: WS_A },
      az: (args: string) =>
        args.startsWith('role definition list')
          ? { stdout: JSON.stringify([{ name: 'r1', roleName: 'ThreatFox Sentinel Sync (rg-soc, abc123)' }]) }
          : args.startsWith('role definition delete')
            ? { stderr: 'ERROR: (RoleDefinitionHasAssignments) There are existing role assignments referencing role', code: 1 }
            : {},
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kept ThreatFox Sentinel Sync \(rg-soc, abc123\): another deployment still holds it/);
  });

  it('stops azd down (exit 1) while the identity exists when an assignment cannot be removed, naming it', () => {
    const r = runHook('predown.js', {
      env: outputs,
      az: (args: string) =>
        args.includes('law-b') ? { stderr: 'ERROR: (AuthorizationFailed) does not have authorization', code: 1 } : args.startsWith('role definition list') ? { stdout: '[]' } : {},
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${WS_B}: ERROR: (AuthorizationFailed)`);
    expect(r.stderr).toMatch(/run `azd down` again/);
  });

  it('has nothing to do without the deployment\'s outputs', () => {
    const r = runHook('predown.js', {});
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
  });

  it('is wired in azure.yaml, and the outputs it reads exist', () => {
    const hooks = (parseYaml(read('azure.yaml')) as { hooks: Record<string, Record<string, { run: string }>> }).hooks;
    expect(hooks.predown.posix.run).toBe('node scripts/hooks/predown.js');
    expect(hooks.predown.windows.run).toBe('node scripts/hooks/predown.js');
    const main = stripComments(read('infra/main.bicep'));
    expect(main).toMatch(/^output APP_IDENTITY_PRINCIPAL_ID string = /m);
    expect(main).toMatch(/^output SENTINEL_WORKSPACE_IDS string = /m);
  });

  it('the README\'s clean-up section says the hook does it', () => {
    const cleanUp = /## Clean up\n([\s\S]*?)\n## /.exec(read('README.md'))![1];
    expect(cleanUp).toMatch(/predown/);
    expect(cleanUp).toMatch(/scripts\/hooks\/predown\.js/);
  });
});

describe('prepackage: production dependencies only', () => {
  const project = {
    'package.json': '{"name":"x","main":"dist/functions/*.js"}',
    'package-lock.json': '{}',
    'host.json': '{"version":"2.0"}',
    'dist/host.json': '{"version":"2.0"}',
    'dist/functions/sync.js': 'require("../lib/a")',
    'dist/functions/sync.js.map': '{}',
    'dist/lib/a.js': '',
    'dist/lib/sentinel/appRole.json': '{}',
    'dist/test/old.test.js': '',
    'lib/a.ts': '',
    'node_modules/typescript/package.json': '{}',
  };

  it('builds, copies what the host loads, installs production dependencies in dist/package, and prints its size', () => {
    const r = runHook('prepackage.js', {
      files: project,
      // The stand-in npm "installs" one production dependency where it is run.
      npm: (args: string) => (args.startsWith('ci') ? { files: { 'node_modules/dep/index.js': 'module.exports = 1;' } } : {}),
    });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['npm run build', 'npm ci --omit=dev --ignore-scripts --no-audit --no-fund @dist/package']);
    expect(r.packaged).toEqual([
      '.funcignore',
      'dist/functions/sync.js',
      'dist/host.json',
      'dist/lib/a.js',
      'dist/lib/sentinel/appRole.json',
      'host.json',
      'node_modules/dep/index.js',
      'package-lock.json',
      'package.json',
    ]);
    expect(r.stdout).toMatch(/^prepackage: dist\/package is \d+\.\d MB \(node_modules \d+\.\d MB, production dependencies only\)$/m);
  });

  it('installs the build tools first in a fresh clone', () => {
    const fresh = Object.fromEntries(Object.entries(project).filter(([f]) => !f.startsWith('node_modules/')));
    const r = runHook('prepackage.js', { files: fresh });
    expect(r.status).toBe(0);
    expect(r.calls.slice(0, 2)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('stops the deployment when the build fails', () => {
    const r = runHook('prepackage.js', { files: project, npm: () => ({ stderr: 'error TS2322', code: 2 }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/npm run build failed:\nerror TS2322/);
    expect(r.packaged).toEqual([]);
  });

  it('is how azd packages the app: dist/package, no remote build, the hook before packaging', () => {
    const api = (parseYaml(read('azure.yaml')) as { services: { api: Record<string, any> } }).services.api;
    expect(api.dist).toBe('dist/package');
    expect(api.remoteBuild).toBe(false);
    expect(api.hooks.prepackage.posix.run).toBe('node scripts/hooks/prepackage.js');
    expect(api.hooks.prepackage.windows.run).toBe('node scripts/hooks/prepackage.js');
    expect(read('.gitignore')).toMatch(/^dist\/$/m);
  });

  it('docs/deploy.md gives the measured size', () => {
    const doc = read('docs/deploy.md');
    expect(doc).toMatch(/dist\/package.*85 MB/s);
    expect(doc).toMatch(/23 MB zipped/);
  });
});
