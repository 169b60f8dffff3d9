import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWellKnownHost, parseAllowlist } from '../../lib/ioc/benign';
import { normaliseRecords, normaliseValue, parseIocText } from '../../lib/ioc/normalise';
import type { ThreatFoxRecord } from '../../lib/threatfox/schema';

/** The values issue 10 found accepted as NetSupport IOCs, each with the kind it must be refused as. */
const BENIGN: Array<[string, string, RegExp]> = [
  ['8.8.8.8', 'public-resolver', /public DNS resolver/],
  ['1.1.1.1', 'public-resolver', /public DNS resolver/],
  ['2606:4700:4700::1111', 'public-resolver', /public DNS resolver/],
  ['9.9.9.9:53', 'public-resolver', /public DNS resolver/],
  ['google.com', 'popular-domain', /most popular domains/],
  ['www.microsoft.com', 'popular-domain', /most popular domains/],
  ['docs.google.com', 'popular-domain', /most popular domains/],
  ['raw.githubusercontent.com', 'popular-domain', /shared hosting/],
  ['192.0.2.10', 'special-purpose-address', /documentation, benchmarking or reserved range/],
  ['198.51.100.7:443', 'special-purpose-address', /documentation/],
  ['203.0.113.5', 'special-purpose-address', /documentation/],
  ['2001:db8::1', 'special-purpose-address', /documentation/],
  ['127.0.0.1', 'special-purpose-address', /loopback/],
  ['10.0.0.8', 'special-purpose-address', /private \(RFC 1918\)/],
  ['http://192.0.2.1/payload.exe', 'special-purpose-address', /URL host 192\.0\.2\.1/],
  ['d41d8cd98f00b204e9800998ecf8427e', 'empty-file-hash', /MD5 of an empty file/],
  ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'empty-file-hash', /SHA-1 of an empty file/],
  ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'empty-file-hash', /SHA-256 of an empty file/],
  // The EICAR anti-virus test file (68 bytes, eicar.org): harmless by design, dropped by every AV test.
  ['44d88612fea8a8f36de82e1278abb02f', 'test-file-hash', /MD5 of the EICAR anti-virus test file: harmless by design/],
  ['3395856ce81f2b7382dee72602f798b642f14140', 'test-file-hash', /SHA-1 of the EICAR anti-virus test file/],
  [
    '275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F',
    'test-file-hash',
    /SHA-256 of the EICAR anti-virus test file/,
  ],
];

function record(ioc: string, ioc_type: string, id: string): ThreatFoxRecord {
  return {
    id,
    ioc,
    ioc_type,
    threat_type: 'botnet_cc',
    malware: 'win.netsupportmanager_rat',
    malware_printable: 'NetSupportManager RAT',
    confidence_level: 100,
    first_seen: '2026-06-20 10:00:00 UTC',
    tags: [],
  } as unknown as ThreatFoxRecord;
}

describe('well-known benign values are refused with a reason in every input path', () => {
  test.each(BENIGN)('pasted %j is refused as %s', (value, kind, reason) => {
    const { iocs, rejected } = parseIocText(`${value}\nevil-c2[.]com\n`);
    expect(iocs.map((i) => i.value)).toEqual(['evil-c2.com']);
    expect(rejected).toEqual([{ input: value, reason: expect.stringMatching(reason), benign: kind }]);
  });

  test.each<[string, string, string]>([
    ['8.8.8.8:53', 'ip:port', 'public-resolver'],
    ['[2001:4860:4860::8844]:443', 'ip:port', 'public-resolver'],
    ['192.0.2.1:80', 'ip:port', 'special-purpose-address'],
    ['[2001:db8::5]:443', 'ip:port', 'special-purpose-address'],
    ['microsoft.com', 'domain', 'popular-domain'],
    ['http://203.0.113.9/a.exe', 'url', 'special-purpose-address'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5_hash', 'empty-file-hash'],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1_hash', 'empty-file-hash'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256_hash', 'empty-file-hash'],
    ['44d88612fea8a8f36de82e1278abb02f', 'md5_hash', 'test-file-hash'],
    ['3395856ce81f2b7382dee72602f798b642f14140', 'sha1_hash', 'test-file-hash'],
    ['275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', 'sha256_hash', 'test-file-hash'],
  ])('ThreatFox record %j (%s) is refused as %s', (ioc, type, kind) => {
    const { iocs, rejected } = normaliseRecords([record(ioc, type, '7'), record('evil-c2.com', 'domain', '8')]);
    expect(iocs.map((i) => i.value)).toEqual(['evil-c2.com']);
    expect(rejected).toEqual([{ input: `ThreatFox #7: ${ioc}`, reason: expect.any(String), benign: kind }]);
  });

  test('a URL on a popular host stays a URL IOC, but its host is well known (never hunted as a domain)', () => {
    for (const url of [
      'https://google.com/',
      'https://www.dropbox.com/s/abc/payload.zip?dl=1',
      'https://raw.githubusercontent.com/x/y/main/a.ps1',
    ]) {
      const r = normaliseValue(url);
      expect(r).toEqual({ ok: true, ioc: { type: 'url', value: url } });
      expect(isWellKnownHost(new URL(url).hostname)).toBe(true);
    }
    const threatfox = normaliseRecords([record('https://drive.google.com/uc?id=1', 'url', '9')]);
    expect(threatfox.iocs.map((i) => i.value)).toEqual(['https://drive.google.com/uc?id=1']);
  });

  test('isWellKnownHost: popular names and resolvers yes; attacker names, even on shared suffixes, no', () => {
    for (const host of [
      'google.com',
      'www.google.com',
      'mail.google.com',
      'docs.google.com',
      'github.com',
      'cdn.discordapp.com',
      '8.8.8.8',
      '2001:4860:4860::8888',
      '[2606:4700:4700::1111]',
    ]) {
      expect([host, isWellKnownHost(host)]).toEqual([host, true]);
    }
    for (const host of [
      'evil-c2.com',
      'google.com.evil.ru',
      'evil.netlify.app',
      'x.duckdns.org',
      'evil.github.io',
      '91.92.34.228',
      'googl.com',
    ]) {
      expect([host, isWellKnownHost(host)]).toEqual([host, false]);
    }
  });

  test('lookalikes and ordinary IOCs are not refused', () => {
    for (const value of [
      'google-update.com',
      'micros0ft.com',
      'xn--ggle-0nda.com',
      '91.92.34.228',
      'http://1.1.1.1.evil.com/x',
      'd41d8cd98f00b204e9800998ecf8427f',
    ]) {
      expect([value, normaliseValue(value).ok]).toEqual([value, true]);
    }
  });
});

describe('BENIGN_ALLOWLIST: a tenant adds its own benign values', () => {
  const { allowlist, bad } = parseAllowlist(
    ' contoso.com, 203.0.114.0/24 ,2a01:4f8:c17::/48, 91.92.34.229, AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ,',
  );

  test('parses domains, CIDR ranges, addresses and hashes', () => {
    expect(bad).toEqual([]);
    expect([...allowlist.domains]).toEqual(['contoso.com']);
    expect(allowlist.ranges).toHaveLength(3);
    expect([...allowlist.hashes]).toEqual(['a'.repeat(32)]);
  });

  test('names the entries it cannot read', () => {
    expect(parseAllowlist('contoso.com, not a domain, 1.2.3, http://x.com/').bad).toEqual([
      'not a domain',
      '1.2.3',
      'http://x.com/',
    ]);
  });

  test('refuses listed values in pasted and ThreatFox input, with the setting named', () => {
    const text = [
      'contoso.com',
      'vpn.contoso.com',
      '203.0.114.9',
      '[2a01:4f8:c17:1::1]:443',
      '91.92.34.229:80',
      'a'.repeat(32),
      'evil-c2.com',
      'https://contoso.com/x',
    ].join('\n');
    const { iocs, rejected } = parseIocText(text, {}, allowlist);
    expect(iocs.map((i) => i.value)).toEqual(['evil-c2.com', 'https://contoso.com/x']);
    expect(rejected).toHaveLength(6);
    for (const r of rejected)
      expect(r).toMatchObject({
        benign: 'allow-list',
        reason: expect.stringMatching(/on the BENIGN_ALLOWLIST setting/),
      });
    const records = normaliseRecords(
      [record('vpn.contoso.com', 'domain', '1'), record('91.92.34.229:80', 'ip:port', '2')],
      allowlist,
    );
    expect(records.iocs).toEqual([]);
    expect(records.rejected.map((r) => r.benign)).toEqual(['allow-list', 'allow-list']);
    // Without the list they are ordinary IOCs.
    expect(normaliseRecords([record('vpn.contoso.com', 'domain', '1')]).iocs).toHaveLength(1);
    expect(isWellKnownHost('cdn.contoso.com', allowlist)).toBe(true);
    expect(isWellKnownHost('cdn.contoso.com')).toBe(false);
  });
});

describe('the vendored top-sites list', () => {
  const dir = join(__dirname, '..', '..', 'lib', 'ioc', 'data');

  test('is the npm package top-sites file, with its source and version noted', () => {
    const list = JSON.parse(readFileSync(join(dir, 'top-sites.json'), 'utf8')) as Array<{
      rank: number;
      rootDomain: string;
    }>;
    expect(list.length).toBeGreaterThanOrEqual(400);
    expect(list[0]).toMatchObject({ rank: 1, rootDomain: expect.any(String) });
    const note = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(note).toMatch(/top-sites@\d+\.\d+\.\d+/);
    expect(note).toMatch(/MIT/);
    expect(existsSync(join(__dirname, '..', '..', 'scripts', 'update-top-sites.js'))).toBe(true);
  });
});

describe('BENIGN_ALLOWLIST setting', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSettings } = require('../../lib/config') as typeof import('../../lib/config');

  test('is read into settings, and a bad entry is a settings error naming it', () => {
    expect([...loadSettings({ BENIGN_ALLOWLIST: 'Contoso.com.' }).allowlist.domains]).toEqual(['contoso.com']);
    expect(loadSettings({}).allowlist.domains.size).toBe(0);
    expect(() => loadSettings({ BENIGN_ALLOWLIST: 'contoso.com, two words' })).toThrow(
      /BENIGN_ALLOWLIST must be .*\(bad: \["two words"\]\)/,
    );
  });
});
