/** Logs where a security team looks (issue 19, item 4): diagnostic settings into the app's Log Analytics workspace. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { objectAfter, stripComments, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const setting = (file: string, name: string) =>
  objectAfter(stripComments(read(file)), new RegExp(`resource ${name} 'Microsoft\\.Insights/diagnosticSettings@2021-05-01-preview' = \\{`));

describe('diagnostic settings', () => {
  it('sends Key Vault audit events to the app\'s workspace', () => {
    const kv = setting('infra/modules/keyVault.bicep', 'auditToLogAnalytics');
    expect(valueOf(kv, 'scope')).toBe('vault');
    expect(valueOf(kv, 'workspaceId')).toBe('logAnalyticsWorkspaceId');
    expect(kv).toMatch(/categoryGroup: 'audit'\s*enabled: true/);
  });

  it('sends the Function App\'s logs to the same workspace', () => {
    const app = setting('infra/modules/functionApp.bicep', 'logsToLogAnalytics');
    expect(valueOf(app, 'scope')).toBe('site');
    expect(valueOf(app, 'workspaceId')).toBe('logAnalyticsWorkspaceId');
    expect(app).toMatch(/categoryGroup: 'allLogs'\s*enabled: true/);
  });

  it('wires both to the monitoring module\'s workspace', () => {
    const main = read('infra/main.bicep');
    for (const m of ['keyVault', 'functionApp'])
      expect(valueOf(objectAfter(objectAfter(main, new RegExp(`module ${m} 'modules/${m}\\.bicep' = \\{`)), /params: \{/), 'logAnalyticsWorkspaceId')).toBe(
        'monitoring.outputs.logAnalyticsId',
      );
  });

  it('docs/deploy.md tells a reviewer where the logs are', () => {
    const doc = read('docs/deploy.md');
    expect(doc).toMatch(/AZKVAuditLogs/);
    expect(doc).toMatch(/FunctionAppLogs/);
  });
});
