import { loadSettings, requireAuthKey, requireSentinelTarget } from '../lib/config';
import { syncErrorMessage } from './support/errors';

const configMessage = (fn: () => unknown) => syncErrorMessage('CONFIG', fn);

describe('loadSettings', () => {
  it('applies the documented defaults', () => {
    const s = loadSettings({});
    expect(s.threatfox).toEqual({
      apiUrl: 'https://threatfox-api.abuse.ch/api/v1/',
      authKey: undefined,
      malware: ['win.netsupportmanager_rat'],
      days: 1,
      limit: 1000,
      timeoutMs: 30000,
      reconcileBudget: 500,
    });
    expect(s.sentinel.armEndpoint).toBe('https://management.azure.com');
    expect(s.sentinel.apiVersion).toBe('2025-09-01');
    expect(s.sentinel.source).toBe('ThreatFox');
    expect(s.sentinel.ttlDays).toBe(30);
    expect(s.logLevel).toBe('info');
  });

  it('reads LOG_LEVEL as a pino level in any case', () => {
    expect(loadSettings({ LOG_LEVEL: ' DEBUG ' }).logLevel).toBe('debug');
    expect(loadSettings({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(loadSettings({ LOG_LEVEL: '' }).logLevel).toBe('info');
  });

  it('reads a comma list of families, lower-cased and deduplicated', () => {
    const s = loadSettings({
      THREATFOX_MALWARE: ' win.netsupportmanager_rat, Win.Cobalt_Strike ,win.netsupportmanager_rat',
    });
    expect(s.threatfox.malware).toEqual(['win.netsupportmanager_rat', 'win.cobalt_strike']);
  });

  it('lets a full run remove families only when THREATFOX_MALWARE is set, not from the built-in default', () => {
    expect(loadSettings({ THREATFOX_MALWARE: 'win.cobalt_strike' }).sentinel.familyCleanup).toBe(true);
    expect(loadSettings({}).sentinel.familyCleanup).toBe(false);
    expect(loadSettings({ THREATFOX_MALWARE: ' ' }).sentinel.familyCleanup).toBe(false);
  });

  it.each([
    ['THREATFOX_DAYS', '8', /THREATFOX_DAYS must be a whole number from 1 to 7 \(got "8"\)/],
    ['THREATFOX_DAYS', 'abc', /THREATFOX_DAYS/],
    ['THREATFOX_LIMIT', '5000', /THREATFOX_LIMIT must be a whole number from 1 to 1000/],
    ['THREATFOX_MALWARE', 'evil"; drop', /THREATFOX_MALWARE must be a comma-separated list/],
    ['THREATFOX_API_URL', 'ftp://x', /THREATFOX_API_URL must be an https URL/],
    ['AZURE_SUBSCRIPTION_ID', 'not-a-guid', /AZURE_SUBSCRIPTION_ID must be a subscription GUID/],
    ['SENTINEL_API_VERSION', 'latest', /SENTINEL_API_VERSION must look like 2025-09-01/],
    [
      'THREATFOX_AUTH_KEY',
      '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)',
      /unresolved Key Vault reference/,
    ],
    [
      'LOG_LEVEL',
      'Information',
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "Information"\)/,
    ],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL/],
  ])('names %s when it is bad (%s)', (name, value, pattern) => {
    expect(configMessage(() => loadSettings({ [name]: value }))).toMatch(pattern);
  });

  it('lists every bad setting at once', () => {
    const message = configMessage(() => loadSettings({ THREATFOX_DAYS: '0', ARM_CONCURRENCY: '1000' }));
    expect(message).toMatch(/THREATFOX_DAYS/);
    expect(message).toMatch(/ARM_CONCURRENCY/);
  });

  it('requires the Auth-Key only to pull, and the workspace only to write', () => {
    const s = loadSettings({});
    expect(configMessage(() => requireAuthKey(s))).toMatch(/THREATFOX_AUTH_KEY is not set/);
    expect(configMessage(() => requireSentinelTarget(s))).toMatch(
      /AZURE_SUBSCRIPTION_ID, SENTINEL_RESOURCE_GROUP, SENTINEL_WORKSPACE_NAME/,
    );
    const full = loadSettings({
      THREATFOX_AUTH_KEY: 'k',
      AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
      SENTINEL_RESOURCE_GROUP: 'rg',
      SENTINEL_WORKSPACE_NAME: 'ws',
      AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:8443/',
    });
    expect(requireAuthKey(full)).toBe('k');
    expect(requireSentinelTarget(full)).toMatchObject({ workspaceName: 'ws', armEndpoint: 'https://127.0.0.1:8443' });
  });
});
