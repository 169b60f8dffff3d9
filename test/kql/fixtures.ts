import type { Ioc } from '../../lib/ioc/types';
import { asNormalised } from '../support/iocs';

const NETSUPPORT = { malware: 'win.netsupportmanager_rat', malwarePrintable: 'NetSupportManager RAT' } as const;

const ioc = (
  type: Ioc['type'],
  value: string,
  threatType: string,
  firstSeen: string,
  confidence: number,
  port?: number,
): Ioc => ({
  type,
  value,
  ...(port !== undefined ? { port } : {}),
  threatType,
  firstSeen: `${firstSeen}T09:00:00Z`,
  confidence,
  ...NETSUPPORT,
});

/** The IOCs of seed report 000 (domains, URLs, ip:port). */
export const SEED_000: Ioc[] = asNormalised([
  ioc('domain', 'node54group.com', 'botnet_cc', '2026-06-20', 100),
  ioc('domain', 'node66group.pro', 'botnet_cc', '2026-06-20', 100),
  ioc('url', 'http://google2oauth.com/google.txt', 'payload_delivery', '2026-06-20', 100),
  ioc('domain', 'google2oauth.com', 'payload_delivery', '2026-06-20', 100),
  ioc('ipv4', '172.93.185.254', 'payload_delivery', '2026-06-20', 100, 80),
  ioc('url', 'https://beroniw.com/hwkOP5', 'payload_delivery', '2026-06-19', 100),
  ioc('url', 'http://91.92.34.228/test22.txt', 'payload_delivery', '2026-06-19', 100),
  ioc('domain', 'golviewcheckus.com', 'payload_delivery', '2026-06-19', 100),
  ioc('domain', 'tiqwtkmma.com', 'botnet_cc', '2026-06-19', 100),
  ioc('domain', 'zbxcgtqt.com', 'botnet_cc', '2026-06-19', 100),
  ioc('domain', 'beroniw.com', 'payload_delivery', '2026-06-19', 100),
  ioc('ipv4', '91.92.34.228', 'payload_delivery', '2026-06-19', 100, 80),
]);

/** The IOCs of seed report 001 (ip:port C2s and domains). */
export const SEED_001: Ioc[] = asNormalised([
  ioc('ipv4', '91.202.233.25', 'botnet_cc', '2026-05-27', 99, 4888),
  ioc('ipv4', '209.99.186.75', 'botnet_cc', '2026-05-27', 99, 443),
  ioc('ipv4', '5.252.177.201', 'botnet_cc', '2026-05-27', 99, 443),
  ioc('domain', 'feersona.net', 'botnet_cc', '2026-05-27', 99),
  ioc('domain', 'bryonsad.net', 'botnet_cc', '2026-05-27', 99),
  ioc('ipv4', '193.202.84.64', 'botnet_cc', '2026-05-27', 99, 581),
  ioc('ipv4', '194.180.191.223', 'botnet_cc', '2026-05-27', 99, 443),
  ioc('ipv4', '65.109.104.71', 'botnet_cc', '2026-05-27', 99, 443),
  ioc('ipv4', '94.23.185.83', 'botnet_cc', '2026-05-27', 75, 9606),
]);

/** Every IOC type, two families, one IP with two ports, one IOC without a family. */
export const MIXED: Ioc[] = asNormalised([
  ...SEED_000.slice(0, 4),
  ioc('ipv4', '91.92.34.228', 'botnet_cc', '2026-06-19', 90, 443),
  ioc('ipv6', '2001:db8::5', 'botnet_cc', '2026-06-19', 80, 8080),
  ioc('sha256', 'a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef', 'payload', '2026-06-18', 100),
  ioc('sha1', '0123456789abcdef0123456789abcdef01234567', 'payload', '2026-06-18', 100),
  ioc('md5', '0123456789abcdef0123456789abcdef', 'payload', '2026-06-18', 100),
  {
    type: 'domain',
    value: 'cdn-update.example',
    threatType: 'payload_delivery',
    malware: 'js.clearfake',
    malwarePrintable: 'ClearFake',
  },
  {
    type: 'url',
    value: 'https://cdn-update.example/wp-content/x.js?v=2',
    threatType: 'payload_delivery',
    malware: 'js.clearfake',
  },
  { type: 'ipv4', value: '198.51.100.7' },
]);

/** Values built to break out of a string literal, a comment, a markdown cell or a YAML scalar. */
export const HOSTILE_VALUES = [
  'evil"]); DnsEvents | take 1 //',
  'back\\slash\\" or 1==1',
  "quote'single",
  'line\nbreak | where true',
  'carriage\rreturn\ttab',
  'semi;colon | summarize count()',
  'unicode-é-日本-\u2028-\u0085-\u0000-\u007f',
  '```kql\n| union *\n```',
  '[link](http://evil.test) <script>alert(1)</script> | pipe',
  '@"verbatim""',
  '\ud800 lone surrogate',
];

export function hostileIocs(): Ioc[] {
  const out: Ioc[] = [];
  HOSTILE_VALUES.forEach((v, i) => {
    const meta = {
      malware: 'win.netsupportmanager_rat',
      malwarePrintable: `Net"Support\n| take 1 ${i}`,
      threatType: 'botnet_cc',
    };
    out.push({ type: 'domain', value: `${v}.example`, ...meta });
    out.push({ type: 'url', value: `http://h${i}.example/${v}`, ...meta });
    out.push({ type: 'ipv4', value: v, port: 443, ...meta });
    out.push({ type: 'sha256', value: v, ...meta });
  });
  return asNormalised(out);
}

/** A large family: enough to need several parts at a small limit. */
export function manyIocs(n: number): Ioc[] {
  const out: Ioc[] = [];
  for (let i = 0; i < n; i++) {
    const m = { ...NETSUPPORT, threatType: i % 2 ? 'botnet_cc' : 'payload_delivery' };
    switch (i % 4) {
      case 0:
        out.push({
          type: 'ipv4',
          value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          port: 443 + (i % 3),
          ...m,
        });
        break;
      case 1:
        out.push({ type: 'domain', value: `c2-${i}.example.net`, ...m });
        break;
      case 2:
        out.push({ type: 'url', value: `https://drop-${i}.example.org/gate.php?id=${i}`, ...m });
        break;
      default:
        out.push({ type: 'sha256', value: i.toString(16).padStart(64, '0'), ...m });
    }
  }
  return asNormalised(out);
}

/** Fisher-Yates with a fixed seed, so the "different order" tests are reproducible. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = items.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
