import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defang } from '../../lib/ioc/defang';
import { normaliseValue } from '../../lib/ioc/normalise';
import { refang } from '../../lib/ioc/refang';
import type { Ioc } from '../../lib/ioc/types';

type Value = Pick<Ioc, 'type' | 'value' | 'port'>;

describe('defang', () => {
  test.each<[Value, string]>([
    [{ type: 'url', value: 'http://evil.com/x' }, 'hxxp://evil[.]com/x'],
    [{ type: 'url', value: 'https://a.evil.com:8443/p.php?q=1.2' }, 'hxxps://a[.]evil[.]com:8443/p.php?q=1.2'],
    [{ type: 'url', value: 'ftp://evil.com/a.zip' }, 'fxp://evil[.]com/a.zip'],
    [{ type: 'url', value: 'wss://evil.com/s' }, 'wss[://]evil[.]com/s'],
    [{ type: 'url', value: 'http://91.92.34.228/test22.txt' }, 'hxxp://91[.]92[.]34[.]228/test22.txt'],
    [{ type: 'url', value: 'http://[2001:db8::1]:80/x' }, 'hxxp://[2001:db8::1]:80/x'],
    [{ type: 'url', value: 'http://user.name@evil.com/' }, 'hxxp://user.name@evil[.]com/'],
    [{ type: 'ipv4', value: '1.2.3.4', port: 80 }, '1[.]2[.]3[.]4:80'],
    [{ type: 'ipv4', value: '1.2.3.4' }, '1[.]2[.]3[.]4'],
    [{ type: 'ipv6', value: '2001:db8::1', port: 443 }, '[2001[:]db8[:][:]1]:443'],
    [{ type: 'ipv6', value: '2001:db8::1' }, '2001[:]db8[:][:]1'],
    [{ type: 'domain', value: 'evil.com' }, 'evil[.]com'],
    [{ type: 'domain', value: 'a.b.evil.co.uk' }, 'a[.]b[.]evil[.]co[.]uk'],
    [{ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }, 'd41d8cd98f00b204e9800998ecf8427e'],
    [{ type: 'sha256', value: 'e'.repeat(64) }, 'e'.repeat(64)],
  ])('%j → %s', (ioc, expected) => {
    expect(defang(ioc)).toBe(expected);
  });

  test('a defanged URL or host contains no clickable scheme or dotted host', () => {
    const shown = defang({ type: 'url', value: 'https://evil.com/a' });
    expect(shown).not.toMatch(/https?:\/\//);
    expect(shown).not.toContain('evil.com');
  });
});

describe('round trip: normaliseValue(refang(defang(x))) is x', () => {
  const values: Value[] = [
    { type: 'ipv4', value: '1.2.3.4' },
    { type: 'ipv4', value: '1.2.3.4', port: 1 },
    { type: 'ipv4', value: '223.255.255.254', port: 65535 },
    { type: 'ipv4', value: '45.9.74.13', port: 3389 },
    { type: 'ipv6', value: '2a01:4f8:c17:1::2' },
    { type: 'ipv6', value: '2a01:4f8:c17:1::2', port: 443 },
    { type: 'ipv6', value: '2a01:4f8:c17:1::1', port: 8080 },
    { type: 'domain', value: 'evil.com' },
    { type: 'domain', value: 'xn--bcher-kva.de' },
    { type: 'domain', value: 'a-b.c.evil.co.uk' },
    { type: 'domain', value: 'x1.duckdns.org' },
    { type: 'domain', value: 'evil.onion' },
    { type: 'url', value: 'http://evil.com' },
    { type: 'url', value: 'http://evil.com/' },
    { type: 'url', value: 'https://evil.com:8443/A/b.php?x=1&y=%20z#frag' },
    { type: 'url', value: 'http://1.2.3.4:8080/gate.php' },
    { type: 'url', value: 'http://[2a01:4f8:c17:1::2]/x' },
    { type: 'url', value: 'ftp://files.evil.com/a.zip' },
    { type: 'url', value: 'ftps://files.evil.com/a.zip' },
    { type: 'url', value: 'ws://evil.com/socket' },
    { type: 'url', value: 'wss://evil.com:443/socket' },
    { type: 'url', value: 'http://user:pw@evil.com/x' },
    { type: 'url', value: "http://evil.com/a;b=c?d='e',f" },
    { type: 'url', value: 'http://xn--bcher-kva.de/%C3%A4/ä' },
    { type: 'url', value: 'http://evil.com/a/../b/./c//d' },
    { type: 'url', value: 'http://evil.com/[x]' },
    { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427f' },
    { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80708' },
    { type: 'sha256', value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
  ];

  test.each(values.map((v) => [defang(v), v] as const))('%s', (shown, v) => {
    // Each value must already be canonical, or this test would prove nothing.
    expect(normaliseValue(v.value)).toEqual({ ok: true, ioc: { type: v.type, value: v.value } });
    expect(normaliseValue(refang(shown))).toEqual({ ok: true, ioc: v });
  });

  test('generated IPv4/port and domain values round-trip', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const ip: Value = {
        type: 'ipv4',
        value: `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`,
        port: rnd(65536),
      };
      if (ip.value.startsWith('127.') || ip.value.startsWith('169.254.')) continue;
      expect(normaliseValue(refang(defang(ip)))).toEqual({ ok: true, ioc: ip });
      const label = Array.from({ length: 1 + rnd(20) }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[rnd(36)]).join('');
      const domain: Value = { type: 'domain', value: `${label}.${['com', 'net', 'pro', 'co.uk', 'xyz'][rnd(5)]}` };
      expect(normaliseValue(refang(defang(domain)))).toEqual({ ok: true, ioc: domain });
      const url: Value = { type: 'url', value: `https://${domain.value}/${label}.php?id=${rnd(1000)}` };
      expect(normaliseValue(refang(defang(url)))).toEqual({ ok: true, ioc: url });
    }
  });
});

/**
 * The seed reports show IOCs defanged in a table (`| ip:port | 91[.]92[.]34[.]228:80 | ...`) and
 * the live values in their KQL (`dynamic(["91.92.34.228", ...])`): the table must refang to them.
 */
describe('seed reports in /work/shared/seeds', () => {
  const dir = '/work/shared/seeds';
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

  test('there are seed reports to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('%s: every defanged table value refangs to a value its KQL hunts for', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const rows = [...text.matchAll(/^\| (ip:port|domain|url|md5_hash|sha1_hash|sha256_hash) \| ([^|]+) \|/gm)].map(
      (m) => ({ hint: m[1], shown: m[2].trim() }),
    );
    const hunted = new Set(
      [...text.matchAll(/dynamic\(\[([^\]]*)\]\)/g)].flatMap((m) => [...m[1].matchAll(/"([^"]*)"/g)].map((q) => q[1])),
    );
    expect(rows.length).toBeGreaterThan(0);
    const matched = new Set<string>();
    for (const { hint, shown } of rows) {
      const live = refang(shown);
      const r = normaliseValue(live, hint);
      expect(r).toMatchObject({ ok: true });
      if (!r.ok) continue;
      // The same value detected from free text gives the same IOC as with ThreatFox's type.
      expect(normaliseValue(live)).toEqual(r);
      expect(hunted).toContain(r.ioc.value);
      matched.add(r.ioc.value);
      // And our own display form refangs back to it.
      expect(normaliseValue(refang(defang(r.ioc)), hint)).toEqual(r);
    }
    expect([...hunted].filter((v) => !matched.has(v))).toEqual([]);
  });
});
