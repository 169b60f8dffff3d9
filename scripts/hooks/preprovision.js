#!/usr/bin/env node
'use strict';
/**
 * azd preprovision hook: the ThreatFox Auth-Key is never kept in plain text, and a provision never
 * overwrites a rotated key.
 *
 * 1. Refuses a plain `THREATFOX_AUTH_KEY` in .azure/<env>/.env (`azd env set` writes it there in
 *    clear text); `azd env set-secret THREATFOX_AUTH_KEY` keeps only an akvs:// reference there.
 * 2. Tells the template whether the app's Key Vault already holds the secret
 *    (THREATFOX_SECRET_EXISTS): infra/modules/keyVault.bicep writes the secret only when a key is
 *    given AND the secret does not exist yet. The check lists secret names; it never reads a value.
 */
const { run, azdEnvFile } = require('./cli');

const SECRET = 'threatfox-auth-key';
const envName = process.env.AZURE_ENV_NAME;
const stored = azdEnvFile(process.cwd(), envName).THREATFOX_AUTH_KEY;

if (stored && !stored.startsWith('akvs://')) {
  console.error(
    `THREATFOX_AUTH_KEY is stored in plain text in .azure/${envName}/.env. Remove it and keep it as a secret:\n` +
      '  azd env set THREATFOX_AUTH_KEY ""\n' +
      '  azd env set-secret THREATFOX_AUTH_KEY     # or set it in Key Vault only after `azd up` (docs/deploy.md)',
  );
  process.exit(1);
}

/** 'true' when the secret exists, 'false' when the vault or the secret does not; undefined when unknown. */
function secretExists(vault) {
  if (!vault) return 'false'; // first provision: no vault yet
  // Names only (no shell metacharacters in the query: Windows runs az.cmd through cmd.exe).
  const r = run('az', ['keyvault', 'secret', 'list', '--vault-name', vault, '--query', '[].name', '-o', 'tsv']);
  if (r.ok) return r.stdout.split(/\r?\n/).includes(SECRET) ? 'true' : 'false';
  if (/VaultNotFound|could not be found|getaddrinfo|ENOTFOUND/i.test(r.stderr)) return 'false';
  return undefined;
}

const exists = secretExists(process.env.AZURE_KEY_VAULT_NAME);
if (exists === undefined) {
  // Unknown (no permission, network): do not let this provision overwrite whatever is there.
  console.warn(
    `Could not list the secrets of ${process.env.AZURE_KEY_VAULT_NAME}; the ThreatFox key is left as it is.`,
  );
}
const set = run('azd', ['env', 'set', 'THREATFOX_SECRET_EXISTS', exists ?? 'true']);
if (!set.ok) {
  console.error(`azd env set THREATFOX_SECRET_EXISTS failed: ${set.stderr}`);
  process.exit(1);
}
