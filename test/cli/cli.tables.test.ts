import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKSPACE_WITHOUT_DEFENDER } from '../fakes/armServer';
import { jsonSummary, runCli, useCliFakes } from '../support/cli';

/** The CLI writing to a workspace fed by CEF and Windows DNS only: no Defender XDR tables. */
describe('CLI sync to a workspace without Defender XDR', () => {
  const fakes = useCliFakes({
    dirPrefix: 'tfss-tables-',
    msiSecret: 'msi-header-secret-for-table-tests',
    env: { ARM_MAX_RETRIES: '2' },
    workspaces: [{ resourceGroup: 'rg-soc', name: 'law-sentinel', tables: WORKSPACE_WITHOUT_DEFENDER }],
  });

  it('writes no Defender hunt, and the summary, --json and report.md name the connector that adds them', async () => {
    const out = join(fakes.dir, 'out');
    const run = await runCli(['--out', out, '--json'], fakes.env);
    expect(run.code).toBe(0);
    const tables = [...fakes.arm.savedSearches.values()].map(
      (s) => (s.properties.tags as { name: string; value: string }[]).find((t) => t.name === 'table')?.value,
    );
    expect(tables.filter((t) => /^(Device|Email|UrlClick)/.test(t ?? ''))).toEqual([]);
    expect(run.stdout).toMatch(
      /^Not written, no such table in the workspace: \d+ hunting queries; connect Microsoft Defender XDR for [\w, ]*DeviceNetworkEvents.*, and the next run adds them\.$/m,
    );
    const summary = jsonSummary(run);
    expect(summary.skippedHunts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ missing: ['DeviceNetworkEvents'], connectors: ['Microsoft Defender XDR'] }),
      ]),
    );
    expect(summary.huntingQueries.created).toBe(fakes.arm.savedSearches.size);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/## Hunts not written to this workspace/);
    expect(report).toMatch(/\| DeviceNetworkEvents \| Microsoft Defender XDR \|/);
  });
});
