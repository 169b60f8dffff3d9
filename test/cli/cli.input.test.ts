import { createServer } from 'node:net';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NETSUPPORT } from '../fakes/threatfoxServer';
import { jsonSummary, runCli, type CliRun, useCliFakes } from '../support/cli';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'threatfox-netsupport.json');
const MSI_SECRET = 'msi-header-secret-for-input-tests';
const PASTED = 'hxxp://evil-c2[.]com/gate.php\n91[.]92[.]34[.]228[:]443\nnode54group(.)com\n';

const noStackTrace = (run: CliRun) => expect(run.stdout + run.stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);

/** Issue 10: input that looks accepted but should not be, and output a person reads. */
describe('CLI input handling and exit codes', () => {
  const fakes = useCliFakes({ dirPrefix: 'tfss-input-', msiSecret: MSI_SECRET });
  beforeEach(() => {
    fakes.threatfox.requests.length = 0;
    fakes.arm.clearRequests();
    fakes.arm.msiRequests.length = 0;
  });

  async function file(name: string, content: string | Buffer): Promise<string> {
    const path = join(fakes.dir, name);
    await writeFile(path, content);
    return path;
  }

  describe('options are never silently ignored', () => {
    it('a pasted list needs --malware with exactly one family', async () => {
      const input = await file('pasted.txt', PASTED);
      const none = await runCli(['--dry-run', '--input', input], fakes.env);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(
        /^error: a pasted list of IOCs needs its family: give --malware with exactly one ThreatFox malware id/,
      );
      const two = await runCli(
        ['--dry-run', '--input', input, '--malware', `${NETSUPPORT},win.cobalt_strike`],
        fakes.env,
      );
      expect(two.code).toBe(1);
      expect(two.stderr).toMatch(/a pasted list of IOCs takes exactly one family, --malware names 2/);
      expect(fakes.threatfox.requests).toEqual([]);
    });

    it('--days with --input is an error naming --days', async () => {
      const run = await runCli(['--dry-run', '--input', EXAMPLE, '--days', '2'], fakes.env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: --days cannot be used with --input/);
    });

    it("--malware '' is an error naming --malware, not a fallback to THREATFOX_MALWARE", async () => {
      for (const value of ['', ' , ']) {
        const run = await runCli(['--dry-run', '--malware', value], fakes.env);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^error: --malware names no malware family/);
        expect(run.stderr).not.toMatch(/THREATFOX_MALWARE/);
      }
      const bad = await runCli(['--dry-run', '--malware', 'Not A Family'], fakes.env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^error: --malware must be ThreatFox malware id\(s\)/);
      expect(fakes.threatfox.requests).toEqual([]);
    });

    it('--malware keeps a ThreatFox JSON input to its families and counts the rest as skipped', async () => {
      const answer = JSON.parse(await readFile(EXAMPLE, 'utf8')) as { data: Record<string, unknown>[] };
      const [first] = answer.data;
      answer.data.push({
        ...first,
        id: '99',
        ioc: 'cs-beacon.com',
        ioc_type: 'domain',
        malware: 'win.cobalt_strike',
      });
      const mixed = await file('mixed.json', JSON.stringify(answer));
      const other = await runCli(
        ['--dry-run', '--input', mixed, '--malware', 'win.cobalt_strike', '--json'],
        fakes.env,
      );
      expect(other.code).toBe(0);
      expect(jsonSummary(other)).toMatchObject({ read: 22, iocs: 1, skipped: 21 });
      expect(other.stdout).toContain('Skipped 21 ThreatFox records of families not named by --malware.');
      const same = await runCli(['--dry-run', '--input', EXAMPLE, '--malware', NETSUPPORT, '--json'], fakes.env);
      expect(jsonSummary(same)).toMatchObject({ read: 21, iocs: 21, skipped: 0 });
    });

    it('--malware that matches no record names the families the file holds and exits 1', async () => {
      const run = await runCli(
        ['--dry-run', '--input', EXAMPLE, '--malware', 'win.remcos,win.cobalt_strike'],
        fakes.env,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'error: --malware win.remcos,win.cobalt_strike matched none of the 21 ThreatFox records in the input; it holds win.netsupportmanager_rat (21 records): name one of those, or leave out --malware to take them all\n',
      );
    });
  });

  describe('encodings', () => {
    const text = `# from a Windows box\r\n${PASTED.replace(/\n/g, '\r\n')}`;
    const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

    it.each([
      [
        'UTF-16 LE with a BOM (Windows PowerShell 5.1 ">")',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      ],
      ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)])],
      ['UTF-16 LE without a BOM', Buffer.from(text, 'utf16le')],
      ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])],
    ])('%s is decoded', async (_name, bytes) => {
      const run = await runCli(
        ['--dry-run', '--input', await file('encoded.txt', bytes), '--malware', NETSUPPORT, '--json'],
        fakes.env,
      );
      expect(run.code).toBe(0);
      expect(jsonSummary(run)).toMatchObject({ read: 3, iocs: 3, rejected: 0 });
    });

    it('a ThreatFox JSON answer saved as UTF-16 is read too', async () => {
      const json = await readFile(EXAMPLE, 'utf8');
      const run = await runCli(
        [
          '--dry-run',
          '--input',
          await file('answer.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])),
          '--json',
        ],
        fakes.env,
      );
      expect(run.code).toBe(0);
      expect(jsonSummary(run)).toMatchObject({ iocs: 21 });
    });

    it.each([
      [
        'a binary file',
        Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x3e, 0x00, 0xff, 0xd8, 0x00, 0x10]),
      ],
      ['Latin-1 text', Buffer.from('évil.com\n', 'latin1')],
    ])('%s is refused as a whole (exit 1), nothing read or written', async (_name, bytes) => {
      const run = await runCli(['--input', await file('binary.bin', bytes), '--malware', NETSUPPORT], fakes.env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: --input .*binary\.bin (is binary|is not UTF-8 or UTF-16 text)/);
      expect(run.stdout).toBe('');
      expect(fakes.arm.requests).toEqual([]);
    });
  });

  describe('--out', () => {
    it('is checked before any network call: exit 1 naming --out, no ThreatFox or Azure request', async () => {
      const notADir = await file('not-a-dir', 'x');
      for (const args of [
        ['--out', notADir],
        ['--out', join(notADir, 'sub')],
      ]) {
        // A full write run: ThreatFox pull, then Sentinel; neither may happen.
        const run = await runCli(args, fakes.env);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^error: --out .*not-a-dir.* is a file, not a directory/);
        noStackTrace(run);
      }
      expect(fakes.threatfox.requests).toEqual([]);
      expect(fakes.arm.requests).toEqual([]);
      expect(fakes.arm.msiRequests).toEqual([]);
    });

    it('removes hunting-query files of an earlier run that this run did not write, and nothing else', async () => {
      const out = join(fakes.dir, 'out-clean');
      await mkdir(join(out, 'hunting-queries'), { recursive: true });
      const stale = ['threatfox-win-old-family-abc123-dnsevents.kql', 'threatfox-win-old-family-abc123-dnsevents.yaml'];
      const mine = ['notes.txt', 'my-query.kql'];
      for (const f of [...stale, ...mine]) await writeFile(join(out, 'hunting-queries', f), 'x');
      await writeFile(join(out, 'keep-me.md'), 'x');
      const run = await runCli(['--dry-run', '--input', EXAMPLE, '--out', out], fakes.env);
      expect(run.code).toBe(0);
      const left = await readdir(join(out, 'hunting-queries'));
      for (const f of stale) expect(left).not.toContain(f);
      for (const f of mine) expect(left).toContain(f);
      // 18 queries (10 inline IOC hunts and 8 NetSupport behaviour hunts), as .kql and .yaml.
      expect(left.filter((f) => f.startsWith('threatfox-')).length).toBe(36);
      expect(await readdir(out)).toContain('keep-me.md');
      expect(run.stdout).toMatch(/removed 2 stale hunting-query files/);
    });
  });

  describe('output a person reads', () => {
    it('prints the first rejection reasons and where the rest are; JSON summary when stdout is not a terminal', async () => {
      const lines = [
        '8.8.8.8',
        'google.com',
        '192.0.2.1',
        'd41d8cd98f00b204e9800998ecf8427e',
        '999.1.1.1',
        'evil"; drop',
        '45.9.20.0/24',
        'evil-c2[.]com',
      ];
      const out = join(fakes.dir, 'out-rejected');
      const run = await runCli(
        ['--dry-run', '--input', await file('mixed.txt', lines.join('\n')), '--malware', NETSUPPORT, '--out', out],
        fakes.env,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Rejected (first 5 of 7):\n  8.8.8.8: line 1: 8.8.8.8 is a public DNS resolver');
      expect(run.stdout).toContain(`… all 7 with their reasons: ${out}/rejected.json`);
      expect(run.stdout).toMatch(
        /Refused as well-known benign: 1 popular-domain, 1 public-resolver, 1 special-purpose-address, 1 empty-file-hash/,
      );
      // stdout is a pipe here: the last line is the JSON summary even without --json.
      expect(jsonSummary(run)).toMatchObject({
        iocs: 1,
        rejected: 7,
        benign: { 'public-resolver': 1, 'popular-domain': 1, 'special-purpose-address': 1, 'empty-file-hash': 1 },
      });
      const report = await readFile(join(out, 'report.md'), 'utf8');
      expect(report).toContain('submitted by hand (not published by ThreatFox)');
      expect(report).toContain('**Dry run:**');
    });

    it('--help states the exit-code contract', async () => {
      const run = await runCli(['--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /Exit codes:\n {2}0 {2}done[^\n]*\n {2}1 {2}nothing was written: the settings, the input, --out, the Azure login or\n {5}ThreatFox failed before any write[^\n]*\n {2}2 {2}the run could not do everything: writes to Sentinel failed or missed the\n[^\n]*ended\n[^\n]*ThreatFox pull was rejected/,
      );
    });
  });

  describe('exit 1 when nothing was written, without a stack trace', () => {
    it('a bogus AZURE_TOKEN_CREDENTIALS', async () => {
      const run = await runCli(['--input', EXAMPLE], { ...fakes.env, AZURE_TOKEN_CREDENTIALS: 'NoSuchCredential' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: AZURE_TOKEN_CREDENTIALS is not valid/);
      noStackTrace(run);
      expect(fakes.arm.requests).toEqual([]);
    });

    it('an unreachable ThreatFox', async () => {
      const port = await closedPort();
      const run = await runCli([], {
        ...fakes.env,
        THREATFOX_API_URL: `http://127.0.0.1:${port}/api/v1/`,
        THREATFOX_TIMEOUT_MS: '1000',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: ThreatFox/m);
      noStackTrace(run);
      expect(fakes.arm.requests).toEqual([]);
    }, 60_000);
  });
});

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
