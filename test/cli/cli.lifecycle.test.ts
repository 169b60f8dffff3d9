import { COBALT_STRIKE, NETSUPPORT } from '../fakes/threatfoxServer';
import { jsonSummary, runCli, useCliFakes } from '../support/cli';

/** The lifecycle through the CLI: --reconcile revokes what ThreatFox withdrew; a full run removes a dropped family's queries. */
describe('CLI lifecycle', () => {
  // A long TTL: the seed IOCs are from June 2026 and the CLI runs on the real clock.
  const fakes = useCliFakes({
    dirPrefix: 'tfss-lifecycle-',
    msiSecret: 'msi-header-secret-lifecycle',
    env: { THREATFOX_MALWARE: NETSUPPORT, INDICATOR_TTL_DAYS: '365', THREATFOX_RECONCILE_BUDGET: '100' },
  });
  const ids = (family: string) =>
    [...fakes.arm.savedSearches.keys()].filter((id) => id.startsWith(`threatfox-${family.replace(/[._]/g, '-')}-`));

  it('a one-off --malware run removes nothing of the configured families', async () => {
    expect((await runCli(['--json'], fakes.env)).code).toBe(0);
    const netsupport = ids(NETSUPPORT);
    expect(netsupport.length).toBeGreaterThan(0);
    const run = await runCli(['--malware', COBALT_STRIKE, '--json'], fakes.env);
    expect(run.code).toBe(0);
    expect(jsonSummary(run).lifecycle).toEqual({ huntingQueriesRemoved: {} });
    expect(ids(NETSUPPORT)).toEqual(netsupport);
    expect(ids(COBALT_STRIKE).length).toBeGreaterThan(0);
  });

  it('a plain write run without THREATFOX_MALWARE set (a laptop) removes nothing and says why', async () => {
    const cobalt = ids(COBALT_STRIKE);
    expect(cobalt.length).toBeGreaterThan(0);
    const { THREATFOX_MALWARE: _configured, ...unset } = fakes.env;
    const run = await runCli(['--json'], unset);
    expect(run.code).toBe(0);
    expect(jsonSummary(run).lifecycle).toEqual({ huntingQueriesRemoved: {} });
    expect(run.stderr).toContain('THREATFOX_MALWARE is not set');
    expect(ids(COBALT_STRIKE)).toEqual(cobalt);
  });

  it('--reconcile revokes the IOC ThreatFox withdrew, and the full run removes the family no longer configured', async () => {
    const cobalt = ids(COBALT_STRIKE).length;
    fakes.threatfox.removeIoc('1580112');
    const run = await runCli(['--reconcile', '--json'], fakes.env);
    expect(run.code).toBe(0);
    const summary = jsonSummary(run);
    expect(summary.lifecycle.reconcile).toMatchObject({ revoked: 1, lookupFailed: 0, notChecked: 0, failed: 0 });
    expect(summary.lifecycle.huntingQueriesRemoved).toEqual({ [COBALT_STRIKE]: cobalt });
    expect(run.stdout).toContain(`Hunting queries removed for ${COBALT_STRIKE}: ${cobalt}.`);
    expect(ids(COBALT_STRIKE)).toEqual([]);
    const revoked = [...fakes.arm.indicators.values()].filter((i) => i.properties.revoked === true);
    expect(revoked.map((i) => i.properties.pattern)).toEqual(["[domain-name:value = 'node54group.com']"]);
  });

  it('--reconcile with --dry-run is refused before anything runs', async () => {
    const run = await runCli(['--reconcile', '--dry-run'], fakes.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--reconcile');
  });
});
