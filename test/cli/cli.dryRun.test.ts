import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  seedRecords,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { jsonSummary, runCli } from '../support/cli';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'threatfox-netsupport.json');

describe('CLI dry run', () => {
  let fake: ThreatFoxFake;
  let out: string;

  beforeAll(async () => {
    fake = await startThreatFoxFake({ records: seedRecords(), now: SEED_NOW });
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'tfss-cli-'));
  });
  afterEach(() => rm(out, { recursive: true, force: true }));

  const apiEnv = (key = FAKE_AUTH_KEY) => ({ THREATFOX_API_URL: fake.url, THREATFOX_AUTH_KEY: key });

  it('runs the README quickstart on the bundled feed without any account', async () => {
    const run = await runCli(['--dry-run', '--input', EXAMPLE, '--out', out, '--json']);
    expect(run.stderr).not.toMatch(/"level":50/);
    expect(run.code).toBe(0);
    const summary = jsonSummary(run);
    expect(summary).toMatchObject({
      dryRun: true,
      read: 21,
      iocs: 21,
      rejected: 0,
      byType: { domain: 9, url: 3, ipv4: 9 },
    });
    expect(summary.indicators.planned).toBe(21);
    // The bundled feed is from May-June 2026 with no last seen: past the 30-day validity since July, and said so.
    expect(summary.indicators.expired).toBe(21);
    expect(run.stdout).toContain('Would write 21 indicators (21 already past their validity)');
    expect(summary.indicators.created).toBe(0);

    const iocs = JSON.parse(await readFile(join(out, 'iocs.json'), 'utf8'));
    expect(iocs).toHaveLength(21);
    expect(iocs).toContainEqual(
      expect.objectContaining({
        type: 'ipv4',
        value: '91.202.233.25',
        port: 4888,
        malware: NETSUPPORT,
        threatType: 'botnet_cc',
        confidence: 99,
      }),
    );
    expect(iocs).toContainEqual(expect.objectContaining({ type: 'url', value: 'https://beroniw.com/hwkOP5' }));
    // The hunted host is the tenant's decision, not the feed's: in the queries and labels, not in iocs.json.
    for (const ioc of iocs) expect(ioc).not.toHaveProperty('huntedHost');
    expect(JSON.parse(await readFile(join(out, 'rejected.json'), 'utf8'))).toEqual([]);

    const indicators = JSON.parse(await readFile(join(out, 'indicators.json'), 'utf8'));
    expect(indicators).toHaveLength(21);
    expect(indicators.map((i: any) => i.pattern)).toContain("[domain-name:value = 'feersona.net']");

    const files = await readdir(join(out, 'hunting-queries'));
    const tables = [
      'asimdnsactivitylogs',
      'behaviour-c2-beacon-cef',
      'behaviour-c2-beacon-web',
      'behaviour-client-config-outside-program-files',
      'behaviour-client-outside-program-files',
      'behaviour-client-persistence',
      'behaviour-renamed-client',
      'behaviour-signed-client-outside-program-files',
      'behaviour-vendor-domains',
      'commonsecuritylog',
      'devicefileevents',
      'devicenetworkevents',
      'dnsevents',
      'emailurlinfo',
      'im-dns',
      'im-networksession',
      'im-websession',
      'urlclickevents',
    ];
    // One query per table (inline IOC lists: the export form) plus the NetSupport behaviour hunts, as KQL and as YAML, and nothing else.
    const suffix = (ext: string) => (f: string) =>
      new RegExp(`^threatfox-win-netsupportmanager-rat-[0-9a-f]{6}-(.+)\\.${ext}$`).exec(f)![1];
    expect(
      files
        .filter((f) => f.endsWith('.kql'))
        .map(suffix('kql'))
        .sort(),
    ).toEqual(tables);
    expect(
      files
        .filter((f) => f.endsWith('.yaml'))
        .map(suffix('yaml'))
        .sort(),
    ).toEqual(tables);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('91\\[.\\]202\\[.\\]233\\[.\\]25');
    expect(report).not.toContain('91.202.233.25');

    // The two hunting-query counts, said the same way in the terminal, the JSON summary and report.md:
    // Sentinel gets one saved search per table (11) and behaviour hunt (4); the export covers only the
    // 10 tables this IOC set reaches (no hash, so no DeviceProcessEvents IOC query) and the 4 hunts.
    const counts =
      '19 saved searches in Sentinel (one per table and behaviour hunt), 18 exported (only the tables this IOC set reaches)';
    expect(run.stdout).toContain(`hunting queries: ${counts}.`);
    expect(report).toContain(`hunting queries: ${counts}.`);
    expect(summary.huntingQueries).toMatchObject({ planned: 19, savedSearches: 19, exported: 18 });
    expect(files.filter((f) => f.endsWith('.kql'))).toHaveLength(summary.huntingQueries.exported);
    expect(run.stdout).not.toMatch(/\b15 hunting queries\b/);
    expect(report).not.toMatch(/\b14 hunting queries\b/);

    // Read in minutes: the top half whole, each false-positive note said once, under 180 lines.
    expect(report.split('\n').length).toBeLessThan(180);
    expect(report).toContain('**Dry run:**');
    expect(report).toContain('**Expired indicators:**');
    expect(report).toContain('## Data the queries need');
    expect(report.match(/look up and download IOCs by design/g)).toHaveLength(1);
    expect(report.match(/^- \*\*Compromised legitimate website\*\*/gm)).toHaveLength(1);
  });

  it('names the families the file holds, and exits 1, when --malware matches none of them', async () => {
    const run = await runCli(['--dry-run', '--input', EXAMPLE, '--malware', 'win.remcos', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: --malware win.remcos matched none of the 21 ThreatFox records in the input; it holds win.netsupportmanager_rat (21 records): name one of those, or leave out --malware to take them all\n',
    );
    expect(run.stdout).toBe('');
  });

  it('pulls from the API by family, sends the Auth-Key and never prints it', async () => {
    fake.requests.length = 0;
    const run = await runCli(['--dry-run', '--out', out, '--json'], apiEnv());
    expect(run.code).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].headers['auth-key']).toBe(FAKE_AUTH_KEY);
    expect(fake.requests[0].body).toEqual({ query: 'malwareinfo', malware: NETSUPPORT, limit: 1000 });
    expect(jsonSummary(run)).toMatchObject({ iocs: 21, families: [NETSUPPORT] });
    expect(run.stdout + run.stderr).not.toContain(FAKE_AUTH_KEY);
  });

  it('pulls the recent window with --days and keeps only the configured families', async () => {
    fake.requests.length = 0;
    const run = await runCli(['--dry-run', '--days', '2', '--json'], apiEnv());
    expect(run.code).toBe(0);
    expect(fake.requests[0].body).toEqual({ query: 'get_iocs', days: 2 });
    const summary = jsonSummary(run);
    expect(summary.families).toEqual([NETSUPPORT]);
    expect(summary.iocs).toBeGreaterThan(0);
  });

  it('exits 1 naming THREATFOX_AUTH_KEY when the key is wrong, without echoing it', async () => {
    const wrong = 'wrong-key-9f8e7d6c5b4a39281706';
    const run = await runCli(['--dry-run'], apiEnv(wrong));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/THREATFOX_AUTH_KEY/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('exits 1 on bad settings and bad flags, with a message that says what to fix', async () => {
    const noKey = await runCli(['--dry-run']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/THREATFOX_AUTH_KEY is not set/);

    const days = await runCli(['--dry-run', '--days', '9'], apiEnv());
    expect(days.code).toBe(1);
    expect(days.stderr).toMatch(/--days must be a whole number from 1 to 7/);

    const unknown = await runCli(['--dry-rn']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: Unknown option '--dry-rn'/);
    // The usage as text, not inside a JSON log line.
    expect(unknown.stderr).toContain('\nUsage: npm run sync -- [options]\n');
    expect(unknown.stderr).not.toMatch(/"level"/);

    const write = await runCli(['--input', EXAMPLE]);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/AZURE_SUBSCRIPTION_ID, SENTINEL_RESOURCE_GROUP, SENTINEL_WORKSPACE_NAME/);

    const missing = await runCli(['--dry-run', '--input', join(out, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: --input: no such file: ${join(out, 'nope.json')}\n`);
  });

  it('refangs a pasted list from stdin and keeps every rejected line with its reason', async () => {
    const pasted = [
      'hxxps://beroniw[.]com/hwkOP5',
      '91[.]92[.]34[.]228[:]80',
      'evil"; | drop',
      'node54group(.)com',
      '999.1.1.1',
      'this is not an ioc at all',
      '???///',
    ].join('\n');
    const run = await runCli(
      ['--dry-run', '--input', '-', '--malware', NETSUPPORT, '--out', out, '--json'],
      {},
      pasted,
    );
    expect(run.code).toBe(0);
    const iocs = JSON.parse(await readFile(join(out, 'iocs.json'), 'utf8'));
    expect(iocs.map((i: any) => [i.type, i.value, i.port])).toEqual(
      expect.arrayContaining([
        ['url', 'https://beroniw.com/hwkOP5', undefined],
        ['ipv4', '91.92.34.228', 80],
        ['domain', 'node54group.com', undefined],
      ]),
    );
    expect(iocs.every((i: any) => i.malware === NETSUPPORT)).toBe(true);
    const rejected = JSON.parse(await readFile(join(out, 'rejected.json'), 'utf8'));
    expect(rejected).toHaveLength(4);
    for (const r of rejected) expect(r.reason).toEqual(expect.any(String));
    expect(jsonSummary(run)).toMatchObject({ iocs: 3, rejected: 4 });
    // Garbage is refused as "not an IOC" in words, not as the first character check it fails.
    expect(run.stdout).toContain(
      '  this is not an ioc at all: line 6: not an IOC: several words (one IOC a line: an IP address, domain, URL or hash; a note goes after " # ")\n',
    );
    expect(run.stdout).toContain(
      '  ???///: line 7: not an IOC: no letter or digit in it (expected an IP address, domain, URL or hash)\n',
    );
    expect(run.stdout).not.toMatch(/U\+0020|read as http:\/\/\?\?\?/);
  });

  it('exits 1 (nothing written) when ThreatFox keeps failing, without a stack trace', async () => {
    fake.failNext(10, 503);
    const run = await runCli(['--dry-run'], { ...apiEnv(), THREATFOX_TIMEOUT_MS: '2000' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/503/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
