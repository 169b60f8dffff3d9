import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../lib/config';
import { isLoopbackHost } from '../lib/settingFields';
import { runCli } from './support/cli';
import { syncErrorMessage } from './support/errors';

const ENDPOINTS = [
  'THREATFOX_API_URL',
  'AZURE_RESOURCE_MANAGER_ENDPOINT',
  'SENTINEL_TI_UPLOAD_ENDPOINT',
  'LOG_ANALYTICS_ENDPOINT',
] as const;

describe('endpoint settings: https, or http to loopback only', () => {
  it.each(ENDPOINTS)('%s refuses plain http to a remote host, naming the setting', (name) => {
    for (const value of [
      'http://threatfox-api.abuse.ch/api/v1/',
      'http://management.azure.com',
      'http://10.0.0.5:8080',
      'http://[2001:db8::1]/',
      'http://127.evil.com/',
      'http://localhost.evil.com/',
    ]) {
      expect(syncErrorMessage('CONFIG', () => loadSettings({ [name]: value }))).toMatch(
        new RegExp(`${name} must be an https URL: plain http would send credentials in clear`),
      );
    }
  });

  it.each(ENDPOINTS)('%s accepts https anywhere and http on loopback (what the tests use)', (name) => {
    for (const value of [
      'https://threatfox-api.abuse.ch/api/v1/',
      'http://127.0.0.1:7071/api',
      'http://127.8.9.10/',
      'http://localhost:1234',
      'http://[::1]:8443/',
    ]) {
      expect(() => loadSettings({ [name]: value })).not.toThrow();
    }
  });

  it('knows loopback when it sees it', () => {
    expect(
      ['127.0.0.1', '127.255.255.254', 'localhost', 'LOCALHOST', '[::1]', '::1', 'api.localhost'].every(isLoopbackHost),
    ).toBe(true);
    expect(
      ['128.0.0.1', '127.0.0.1.nip.io', '1.2.3.4', 'localhost.evil.com', '[::2]', '127.0.0.256', '0.0.0.0'].some(
        isLoopbackHost,
      ),
    ).toBe(false);
  });

  it('the CLI exits 1 and names the setting, before any request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'endpoints-'));
    const input = join(dir, 'list.txt');
    await writeFile(input, 'evil-c2.example.com\n');
    const tf = await runCli(['--input', input], { THREATFOX_API_URL: 'http://threatfox-api.abuse.ch/api/v1/' });
    expect(tf.code).toBe(1);
    expect(tf.stderr).toMatch(/THREATFOX_API_URL must be an https URL/);
    const arm = await runCli(['--input', input], { AZURE_RESOURCE_MANAGER_ENDPOINT: 'http://management.azure.com' });
    expect(arm.code).toBe(1);
    expect(arm.stderr).toMatch(/AZURE_RESOURCE_MANAGER_ENDPOINT must be an https URL/);
    expect(arm.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
