import { normaliseValue } from '../../lib/ioc/normalise';
import { refang } from '../../lib/ioc/refang';
import { stixPattern } from '../../lib/sentinel/stix';
import type { IocType } from '../../lib/ioc/types';

type Expected = { type: IocType; value: string; port?: number };

/** Free text as analysts paste it: refang, then detect and normalise. */
function fromText(input: string) {
  return normaliseValue(refang(input));
}

describe('normaliseValue on free text (refanged, type detected)', () => {
  const H64 = 'A'.repeat(8) + 'b'.repeat(56);
  test.each<[string, Expected]>([
    // IPs
    ['1.2.3.4', { type: 'ipv4', value: '1.2.3.4' }],
    ['1[.]2[.]3[.]4', { type: 'ipv4', value: '1.2.3.4' }],
    ['1.2.3[.]4[:]8080', { type: 'ipv4', value: '1.2.3.4', port: 8080 }],
    ['91[.]92[.]34[.]228:80', { type: 'ipv4', value: '91.92.34.228', port: 80 }],
    ['1.2.3.4:65535', { type: 'ipv4', value: '1.2.3.4', port: 65535 }],
    ['2A01:4F8:C17:1:0:0:0:1', { type: 'ipv6', value: '2a01:4f8:c17:1::1' }],
    ['[2a01:4f8:c17:1::1]:443', { type: 'ipv6', value: '2a01:4f8:c17:1::1', port: 443 }],
    ['[2A01:04F8:C17:1::0001]', { type: 'ipv6', value: '2a01:4f8:c17:1::1' }],
    ['::ffff:5.252.177.201', { type: 'ipv4', value: '5.252.177.201' }],
    // domains
    ['evil.com', { type: 'domain', value: 'evil.com' }],
    ['EVIL.Com', { type: 'domain', value: 'evil.com' }],
    ['evil(.)com', { type: 'domain', value: 'evil.com' }],
    ['evil[dot]com', { type: 'domain', value: 'evil.com' }],
    ['"evil.com"', { type: 'domain', value: 'evil.com' }],
    ['<evil.com>', { type: 'domain', value: 'evil.com' }],
    ['evil.com.', { type: 'domain', value: 'evil.com' }],
    ['feersona[dot]net.', { type: 'domain', value: 'feersona.net' }],
    ['bücher.de', { type: 'domain', value: 'xn--bcher-kva.de' }],
    ['BÜCHER.de', { type: 'domain', value: 'xn--bcher-kva.de' }],
    ['аpple.com', { type: 'domain', value: 'xn--pple-43d.com' }], // Cyrillic а: a homoglyph must not pass as apple.com
    ['x.duckdns.org', { type: 'domain', value: 'x.duckdns.org' }],
    ['a-b.evil.co.uk', { type: 'domain', value: 'a-b.evil.co.uk' }],
    ['node66group.pro', { type: 'domain', value: 'node66group.pro' }],
    [`${'a'.repeat(63)}.com`, { type: 'domain', value: `${'a'.repeat(63)}.com` }],
    // URLs: scheme and host normalised, the rest kept byte for byte
    ['hxxp://evil[.]com/x', { type: 'url', value: 'http://evil.com/x' }],
    [
      'HXXPS://EVIL[.]COM/Path/A%2fB?Q=1&r=%7e#Frag',
      { type: 'url', value: 'https://evil.com/Path/A%2fB?Q=1&r=%7e#Frag' },
    ],
    ['hxxp://91[.]92[.]34[.]228/test22.txt', { type: 'url', value: 'http://91.92.34.228/test22.txt' }],
    ['http://evil.com:8080/a/../b', { type: 'url', value: 'http://evil.com:8080/a/../b' }],
    ['http://evil.com:08080/', { type: 'url', value: 'http://evil.com:8080/' }],
    // A scheme's default port is the same URL without it (RFC 3986 6.2.3); any other port is kept.
    ['http://evil.com:80/x', { type: 'url', value: 'http://evil.com/x' }],
    ['HTTPS://evil.com:443/x', { type: 'url', value: 'https://evil.com/x' }],
    ['https://evil.com:0443', { type: 'url', value: 'https://evil.com' }],
    ['http://[2a01:4f8:c17:1::1]:80/x', { type: 'url', value: 'http://[2a01:4f8:c17:1::1]/x' }],
    ['https://evil.com:80/x', { type: 'url', value: 'https://evil.com:80/x' }],
    ['http://evil.com:443/x', { type: 'url', value: 'http://evil.com:443/x' }],
    ['http://evil.com', { type: 'url', value: 'http://evil.com' }],
    ['http://evil.com./x', { type: 'url', value: 'http://evil.com/x' }],
    ['http://bücher.de/ä', { type: 'url', value: 'http://xn--bcher-kva.de/ä' }],
    ['http://[2A01:4F8:C17:1::1]:8443/x', { type: 'url', value: 'http://[2a01:4f8:c17:1::1]:8443/x' }],
    ['http://user:pw@evil.com/x', { type: 'url', value: 'http://user:pw@evil.com/x' }],
    ['http://google.com@evil.com/x', { type: 'url', value: 'http://google.com@evil.com/x' }],
    ["https://evil.com/a;jsessionid=1?x='y'", { type: 'url', value: "https://evil.com/a;jsessionid=1?x='y'" }],
    ['fxp://evil[.]com/a.zip', { type: 'url', value: 'ftp://evil.com/a.zip' }],
    ['evil[.]com/gate.php?id=1', { type: 'url', value: 'http://evil.com/gate.php?id=1' }],
    ['1.2.3.4:8080/x', { type: 'url', value: 'http://1.2.3.4:8080/x' }],
    // hashes
    ['D41D8CD98F00B204E9800998ECF8427F', { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427f' }],
    ['DA39A3EE5E6B4B0D3255BFEF95601890AFD80708', { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80708' }],
    [H64, { type: 'sha256', value: H64.toLowerCase() }],
    ['12345678901234567890123456789012', { type: 'md5', value: '12345678901234567890123456789012' }],
  ])('%j', (input, expected) => {
    expect(fromText(input)).toEqual({ ok: true, ioc: expected });
  });

  test.each<[string, RegExp]>([
    ['', /empty/],
    ['   ', /empty/],
    ['999.1.1.1', /not a valid IPv4/],
    ['1.2.3', /shorthand, octal or hex/],
    ['0x7f.1', /shorthand, octal or hex/],
    ['0x7f.0.0.1', /shorthand, octal or hex/],
    ['01.2.3.4', /shorthand, octal or hex/],
    ['2130706433', /bare number/],
    ['1.2.3.4:70000', /out of range/],
    ['1.2.3.4:-1', /not a number/],
    ['1.2.3.4:http', /./],
    ['[2001:db8::1]:99999', /out of range/],
    ['127.0.0.1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['169.254.169.254', /link-local/],
    ['224.0.0.1', /multicast/],
    ['::1', /loopback/],
    ['fe80::1%eth0', /zone id/],
    ['1::2::3', /not a valid IPv6/],
    ['-evil.com', /label "-evil"/],
    ['evil-.com', /label "evil-"/],
    ['ev_il.com', /not allowed in a domain|label/],
    ['evil..com', /empty label/],
    ['evil.com..', /empty label/],
    [`${'a'.repeat(64)}.com`, /label/],
    [`${'abcdefghi.'.repeat(26)}com`, /maximum is 253/],
    ['localhost', /no top-level domain/],
    ['evil.zzzz', /public suffix/],
    ['evil.local', /public suffix/],
    ['co.uk', /public suffix itself/],
    ['duckdns.org', /every tenant/],
    ['evil.com:8080', /domain with a port/],
    ['1.2.3.4:0', /port 0 is not a destination port/],
    ['[2001:db8::1]:0', /port 0 is not a destination port/],
    ['evil.com"; drop', /not an IOC: several words/],
    ['evil.com";drop', /not allowed in a domain name: """/],
    ["evil.com' or 1=1", /not an IOC: several words/],
    ['this is not an ioc at all', /^not an IOC: several words \(one IOC a line: an IP address, domain, URL or hash/],
    ['???///', /^not an IOC: no letter or digit in it \(expected an IP address, domain, URL or hash\)$/],
    ['...', /^not an IOC: no letter or digit/],
    ['evil.com\\x', /not allowed|"\\\\"/],
    ['evil.com|whoami', /not allowed in a domain name: "\|"/],
    ['evil.com;rm', /not allowed in a domain name: ";"/],
    ['evil.com\nbad.com', /whitespace or an invisible/],
    ['evil\u200B.com', /U\+200B/],
    ['evil\u202Emoc.com', /U\+202E/],
    ['evil.com\u0000', /U\+0000/],
    ['http://evil.com/a b', /whitespace/],
    ['http://evil.com/"onmouseover', /not allowed in a URL: """/],
    ['http://evil.com/a\\b', /not allowed in a URL/],
    ['http://evil.com/a|b', /not allowed in a URL/],
    ['http://evil.com/<script>', /not allowed in a URL/],
    ['http://evil.com/%zz', /%XX/],
    ['http:///path', /no host/],
    ['http://:80/x', /no host/],
    ['http://evil.com:99999/', /out of range/],
    ['http://999.1.1.1/', /not a valid IPv4/],
    ['http://0x7f.1/', /shorthand/],
    ['http://evil/', /no top-level domain/],
    ['javascript://evil.com/%0aalert(1)', /scheme "javascript" is not supported/],
    ['file://evil.com/x', /scheme "file"/],
    ['evil.com/a"b', /read as http:\/\/evil.com\/a"b: .*not allowed in a URL/],
    ['user@evil.com', /email/],
    ['d41d8cd98f00b204e9800998ecf8427', /31 characters/],
    ['a'.repeat(96), /SHA3-384/],
    ['x'.repeat(5000), /maximum is 4096/],
    ['10.1.2.3:4444', /private \(RFC 1918\) address, never a remote host/],
    ['192.168.1.10', /private \(RFC 1918\) address/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['[fd00::1]:443', /unique-local/],
    ['http://172.16.0.5/payload.exe', /URL host 172.16.0.5 is a private/],
  ])('rejects %j', (input, reason) => {
    const r = fromText(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  test('never throws, whatever the input', () => {
    const weird = [
      '\uD800',
      '[',
      ']',
      '[]',
      '[:]',
      '://',
      'http://',
      'http://[',
      'http://[]:1/',
      '@',
      '.',
      '..',
      ':',
      '0x',
      '%',
      'hxxp[://]',
      '\u{1F600}.com',
    ];
    for (const w of weird) {
      const r = fromText(w);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});

describe('normaliseValue with a ThreatFox ioc_type', () => {
  test.each<[string, string, Expected]>([
    ['ip:port', '172.93.185.254:80', { type: 'ipv4', value: '172.93.185.254', port: 80 }],
    ['ip:port', '[2a01:4f8:c17:1::1]:443', { type: 'ipv6', value: '2a01:4f8:c17:1::1', port: 443 }],
    ['domain', 'Node54Group.com', { type: 'domain', value: 'node54group.com' }],
    ['url', 'http://google2oauth.com/google.txt', { type: 'url', value: 'http://google2oauth.com/google.txt' }],
    ['md5_hash', 'D41D8CD98F00B204E9800998ECF8427F', { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427f' }],
    [
      'sha1_hash',
      'da39a3ee5e6b4b0d3255bfef95601890afd80708',
      { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80708' },
    ],
    ['sha256_hash', 'e'.repeat(64), { type: 'sha256', value: 'e'.repeat(64) }],
  ])('%s %j', (hint, input, expected) => {
    expect(normaliseValue(input, hint)).toEqual({ ok: true, ioc: expected });
  });

  test.each<[string, string, RegExp]>([
    ['sha3_384_hash', 'a'.repeat(96), /sha3_384_hash cannot be expressed as a Sentinel indicator/],
    ['envelope_from', 'a@evil.com', /envelope_from .*cannot be expressed as a Sentinel indicator/],
    ['body_from', 'a@evil.com', /body_from .*cannot be expressed as a Sentinel indicator/],
    ['ja3_fingerprint', 'abc', /unknown ThreatFox ioc_type "ja3_fingerprint"/],
    ['constructor', 'evil.com', /unknown ThreatFox ioc_type "constructor"/],
    ['__proto__', 'evil.com', /unknown ThreatFox ioc_type "__proto__"/],
    ['toString', 'evil.com', /unknown ThreatFox ioc_type "toString"/],
    ['', 'evil.com', /unknown ThreatFox ioc_type ""/],
    ['domain', 'http://evil.com/x', /ioc_type is domain but the value is a url/],
    ['domain', '1.2.3.4', /ioc_type is domain but the value is an IP address/],
    ['domain', '1.2.3', /ioc_type domain: .*IP address form/],
    ['url', 'evil.com', /ioc_type is url but the value is a domain/],
    ['ip:port', 'evil.com', /ioc_type is ip:port but the value is a domain/],
    ['md5_hash', 'e'.repeat(64), /ioc_type is md5_hash but the value is a sha256/],
    ['md5_hash', 'z'.repeat(32), /hexadecimal/],
    ['ip:port', '2001:db8::1:443', /\[address\]:port/],
    ['ip:port', '999.1.1.1:80', /not a valid IPv4/],
    ['ip:port', '1.2.3.4:70000', /out of range/],
    ['url', 'hxxp://evil[.]com/', /./], // ThreatFox serves live values: no refang on the record path
  ])('%s %j is rejected', (hint, input, reason) => {
    const r = normaliseValue(input, hint);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('URL default ports', () => {
  test('the indicator pattern of a URL given with its default port is the URL without it', () => {
    const r = normaliseValue('https://evil.com:443/drop/a.zip');
    expect(r).toEqual({ ok: true, ioc: { type: 'url', value: 'https://evil.com/drop/a.zip' } });
    if (r.ok) expect(stixPattern(r.ioc)).toBe("[url:value = 'https://evil.com/drop/a.zip']");
  });
});
