import { runCheck, formatCheck, type CheckDeps, type CheckLine, type CheckReport } from '../../lib/jobs/check';
import { INGESTION_GRACE_MINUTES } from '../../lib/jobs/checkHunts';
import { startArmFake, WORKSPACE_WITHOUT_DEFENDER, type ArmFake } from '../fakes/armServer';
import { primeLogsFake, startLogsFake, type LogsFakeOptions } from '../fakes/logsServer';
import { NETSUPPORT, SEED_NOW, seedRecords, startThreatFoxFake, type ThreatFoxFake } from '../fakes/threatfoxServer';
import { staticCredential } from '../sentinel/harness';
import { fakeAppSettings } from '../support/appSettings';

/** Our indicators as ARM lists them: the values the hunts should see. */
const OURS = ['198.51.100.7', 'c2.example-bad.net'];

function seedOurs(arm: ArmFake, createdMinutesAgo: number): void {
  const created = new Date(Date.now() - createdMinutesAgo * 60_000).toISOString();
  const validUntil = new Date(Date.now() + 10 * 86_400_000).toISOString();
  arm.seedIndicator({
    source: 'ThreatFox',
    pattern: `[ipv4-addr:value = '${OURS[0]}']`,
    patternType: 'ipv4-addr',
    labels: [`malware:${NETSUPPORT}`],
    validFrom: created,
    validUntil,
    created,
  });
  arm.seedIndicator({
    source: 'ThreatFox',
    pattern: `[domain-name:value = '${OURS[1]}']`,
    patternType: 'domain-name',
    labels: [`malware:${NETSUPPORT}`],
    validFrom: created,
    validUntil,
    created,
  });
}

/** Answers the check's indicator query with `values`; every other query with no rows. */
const seeing =
  (values: string[]): LogsFakeOptions['answer'] =>
  (query) =>
    /summarize Values = make_set/.test(query)
      ? { columns: [{ name: 'Values', type: 'dynamic' }], rows: [[JSON.stringify(values)]] }
      : undefined;

const lines = (report: CheckReport, id: CheckLine['id']) => report.lines.filter((l) => l.id === id);
const one = (report: CheckReport, id: CheckLine['id']) => {
  const [found] = lines(report, id);
  if (!found) throw new Error(`no line ${id}`);
  return found;
};

describe('check: the hunts, run where they live (Logs query API fake)', () => {
  let threatfox: ThreatFoxFake;
  const started: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    threatfox = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
    const env = { ...fakeAppSettings({ threatfox, arm: { url: 'https://127.0.0.1:1' } }) };
    primeLogsFake(env);
    primeLogsFake(env, WORKSPACE_WITHOUT_DEFENDER);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([threatfox?.close(), ...started.map((s) => s.close())]);
  });

  async function setup(options: { tables?: string[]; logs?: LogsFakeOptions; oursAgeMinutes?: number } = {}) {
    const arm = await startArmFake(
      options.tables ? { workspaces: [{ resourceGroup: 'rg-soc', name: 'law-sentinel', tables: options.tables }] } : {},
    );
    started.push(arm);
    seedOurs(arm, options.oursAgeMinutes ?? 120);
    const logs = await startLogsFake({ token: arm.token, tables: options.tables, ...options.logs });
    started.push(logs);
    const credential = staticCredential(arm.token);
    const deps = (over: Record<string, string> = {}): CheckDeps => ({
      env: { ...fakeAppSettings({ threatfox, arm }), ARM_MAX_RETRIES: '0', LOG_ANALYTICS_ENDPOINT: logs.url, ...over },
      credential,
      transport: { tlsCa: arm.ca },
      timeoutMs: 5_000,
    });
    return { arm, logs, credential, deps };
  }

  it('runs every hunt the sync would write, over the last hour, and counts the indicators the hunts see', async () => {
    const { arm, logs, credential, deps } = await setup({ logs: { answer: seeing(OURS) } });
    const report = await runCheck(deps());
    expect(report.lines.filter((l) => !l.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(one(report, 'hunt-tables').detail).toMatch(/^(\d+) of \1 hunts have their table$/);
    const hunts = lines(report, 'hunts');
    expect(hunts.length).toBeGreaterThanOrEqual(11);
    expect(hunts.every((h) => h.ok && /^runs \(0 rows in the last hour\)/.test(h.detail))).toBe(true);
    expect(new Set(hunts.map((h) => h.title))).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(hunts.map((h) => h.title)).toEqual(expect.arrayContaining(['Hunt CommonSecurityLog', 'Hunt _Im_Dns']));
    expect(one(report, 'ti-visibility')).toMatchObject({
      ok: true,
      detail: 'hunts see 2 of 2 of our active indicators',
    });
    // Each hunt over PT1H, the indicator query over the hunts' 14-day indicator lookback; the token for the Logs audience.
    const huntQueries = logs.requests.filter((r) => !/make_set\(tolower\(ObservableValue\)/.test(r.query));
    expect(huntQueries.length).toBe(hunts.length);
    expect(new Set(huntQueries.map((r) => r.timespan))).toEqual(new Set(['PT1H']));
    expect(logs.requests.every((r) => r.status === 200)).toBe(true);
    expect(credential.scopes).toContain(`${logs.url}/.default`);
    // The check writes nothing.
    expect(arm.writes()).toEqual([]);
    expect(formatCheck(report)).toMatch(/^✓ Hunt CommonSecurityLog +runs/m);
  });

  it('a workspace without Defender XDR gets no Defender hunts, and is told which connector adds them', async () => {
    const { logs, deps } = await setup({ tables: WORKSPACE_WITHOUT_DEFENDER, logs: { answer: seeing(OURS) } });
    const report = await runCheck(deps());
    const tables = one(report, 'hunt-tables');
    expect(tables.ok).toBe(true);
    expect(tables.detail).toMatch(
      /not written until you connect Microsoft Defender XDR for [\w, ]*DeviceNetworkEvents/,
    );
    expect(tables.detail).toMatch(/; Microsoft Defender XDR \(Defender for Office 365\) for [\w, ]*EmailUrlInfo/);
    expect(tables.detail.match(/Microsoft Defender XDR for/g)).toHaveLength(1);
    expect(lines(report, 'hunts').map((h) => h.title)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/Device|Email|UrlClick/)]),
    );
    expect(logs.requests.some((r) => /\bDevice\w+Events\b/.test(r.query.replace(/\/\/.*$/gm, '')))).toBe(false);
    expect(report.ok).toBe(true);
  });

  it('a hunt the service refuses is a ✗ with the service error naming what could not be resolved', async () => {
    // ARM lists DnsEvents, but the Logs API's workspace does not have it: the fake resolves like the service.
    const { deps } = await setup({
      logs: { tables: WORKSPACE_WITHOUT_DEFENDER.filter((t) => t !== 'DnsEvents'), answer: seeing(OURS) },
      tables: WORKSPACE_WITHOUT_DEFENDER,
    });
    const report = await runCheck(deps());
    const dns = lines(report, 'hunts').find((h) => h.title === 'Hunt DnsEvents');
    expect(dns).toMatchObject({ ok: false, fix: expect.stringMatching(/report it/) });
    expect(dns!.detail).toMatch(
      /HTTP 400 BadArgumentError Failed to resolve table or column expression named 'DnsEvents'/,
    );
    expect(report.ok).toBe(false);
  });

  it('403 from the Logs API is a failed line naming the role and the action to grant', async () => {
    const { deps } = await setup({ logs: { denied: true } });
    const report = await runCheck(deps());
    const access = one(report, 'logs-query');
    expect(access.ok).toBe(false);
    expect(access.detail).toMatch(/not allowed to query the workspace: HTTP 403 InsufficientAccessError/);
    expect(access.fix).toMatch(/Log Analytics Reader.*workspaces\/query\/read/);
    expect(one(report, 'hunts').detail).toMatch(/^not checked/);
    expect(report.ok).toBe(false);
  });

  it('an unreachable Logs endpoint is a failed line naming the host to open', async () => {
    const { deps } = await setup();
    const report = await runCheck(deps({ LOG_ANALYTICS_ENDPOINT: 'https://127.0.0.1:9' }));
    const access = one(report, 'logs-query');
    expect(access).toMatchObject({ ok: false, fix: expect.stringMatching(/allow outbound HTTPS to 127\.0\.0\.1:9/) });
    expect(access.detail).toMatch(/^127\.0\.0\.1:9 did not answer/);
    expect(report.ok).toBe(false);
  });

  it('indicators older than the ingestion delay that the hunts do not see are a mapping problem', async () => {
    const { deps } = await setup({ logs: { answer: seeing([]) } });
    const report = await runCheck(deps());
    const seen = one(report, 'ti-visibility');
    expect(seen.ok).toBe(false);
    expect(seen.detail).toMatch(
      /^hunts see 0 of 2 of our active indicators; 2 missing ones are older than \d+ minutes, so not the ingestion delay but a mapping problem$/,
    );
    expect(seen.fix).toMatch(/SourceSystem and Data\.labels/);
  });

  it('young indicators the hunts do not see yet are the ingestion delay', async () => {
    const { deps } = await setup({ logs: { answer: seeing([OURS[0]]) }, oursAgeMinutes: INGESTION_GRACE_MINUTES / 3 });
    const report = await runCheck(deps());
    expect(one(report, 'ti-visibility')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^hunts see 1 of 2 of our active indicators; the 1 others were written less than 30 minutes ago \(ingestion delay\)/,
      ),
    });
  });
});
