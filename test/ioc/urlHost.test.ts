import { parseAllowlist } from '../../lib/ioc/benign';
import { dedupeIocs, normaliseRecord, parseIocText } from '../../lib/ioc/normalise';
import { iocSchema } from '../../lib/ioc/schema';
import type { FeedRecord, Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';
import { iocFingerprint } from '../../lib/state/seenIocs';

const record = (ioc: string, ioc_type = 'url'): FeedRecord => ({
  id: '1520001',
  ioc,
  ioc_type,
  malware: 'win.netsupportmanager_rat',
  threat_type: 'payload_delivery',
  confidence_level: 100,
  first_seen: '2026-06-20T10:00:00Z',
  tags: [],
});

/** The hunted host normalising gives a pasted line and a ThreatFox record, with `allowlist` as BENIGN_ALLOWLIST. */
function huntedHosts(value: string, allowlist = ''): [pasted: string | undefined, record: string | undefined] {
  const allow = parseAllowlist(allowlist).allowlist;
  const pasted = parseIocText(value, {}, allow);
  const fromFeed = normaliseRecord(record(value), allow);
  expect(pasted.iocs).toHaveLength(1);
  if (!fromFeed.ok) throw new Error(fromFeed.rejected.reason);
  return [pasted.iocs[0]?.huntedHost, fromFeed.ioc.huntedHost];
}

describe('the hunted host of a URL, decided when the IOC is normalised', () => {
  test.each<[string, string, string, string | undefined]>([
    ['an ordinary host', 'http://drop-site.com/a.exe', '', 'drop-site.com'],
    ['a well-known host', 'https://raw.githubusercontent.com/actor/repo/main/x.zip', '', undefined],
    ['a popular one', 'https://docs.google.com/uc?id=1', '', undefined],
    ['a host the tenant allow-listed', 'https://cdn.partner-co.net/x.zip', 'partner-co.net', undefined],
    ['a host next to an allow-listed one', 'https://cdn.partner-co.org/x.zip', 'partner-co.net', 'cdn.partner-co.org'],
    ['a bare IPv4 address', 'http://91.92.34.228:8080/test22.txt', '', '91.92.34.228'],
    ['a bare IPv6 address', 'http://[2A01:4F8:C17:1::1]:8443/x', '', '2a01:4f8:c17:1::1'],
    ['an address in an allow-listed range', 'http://45.9.20.7/x.exe', '45.9.20.0/24', undefined],
    ['an IDN host, as punycode', 'http://bücher.de/ä', '', 'xn--bcher-kva.de'],
  ])('%s: %s', (_, url, allowlist, expected) => {
    expect(huntedHosts(url, allowlist)).toEqual([expected, expected]);
  });

  test('only URLs carry one', () => {
    const { iocs } = parseIocText('drop-site.com\n91.92.34.228:80\n' + 'a'.repeat(64));
    expect(iocs.map((i) => i.huntedHost)).toEqual([undefined, undefined, undefined]);
    expect(withHuntedHost({ type: 'domain', value: 'drop-site.com' })).toEqual({
      type: 'domain',
      value: 'drop-site.com',
    });
  });

  test('a decision made stays: withHuntedHost decides only for a URL that carries none', () => {
    const allow = parseAllowlist('drop-site.com').allowlist;
    const decided: Ioc = { type: 'url', value: 'http://drop-site.com/a', huntedHost: 'drop-site.com' };
    expect(withHuntedHost(decided, allow)).toBe(decided);
    expect(withHuntedHost({ type: 'url', value: 'http://drop-site.com/a' })).toEqual(decided);
    expect(withHuntedHost({ type: 'url', value: 'http://drop-site.com/a' }, allow)).toEqual({
      type: 'url',
      value: 'http://drop-site.com/a',
    });
  });

  test('deduplicating keeps it', () => {
    const { iocs } = parseIocText('http://drop-site.com/a\nhxxp://drop-site[.]com/a');
    expect(dedupeIocs([...iocs, ...iocs])).toEqual([
      { type: 'url', value: 'http://drop-site.com/a', huntedHost: 'drop-site.com' },
    ]);
  });

  test('the IOC schema (queue messages) takes it on a URL, as the URL host only', () => {
    const url = { type: 'url', value: 'http://drop-site.com:8080/a' };
    expect(iocSchema.parse({ ...url, huntedHost: 'drop-site.com' })).toEqual({ ...url, huntedHost: 'drop-site.com' });
    expect(iocSchema.parse(url)).toEqual(url);
    const refused = (ioc: object) => iocSchema.safeParse(ioc).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(refused({ ...url, huntedHost: 'other-site.com' })).toEqual([
      ['huntedHost', "must be the host of the IOC's URL (set on URL IOCs only)"],
    ]);
    expect(refused({ type: 'domain', value: 'drop-site.com', huntedHost: 'drop-site.com' })).toEqual([
      ['huntedHost', "must be the host of the IOC's URL (set on URL IOCs only)"],
    ]);
  });

  test('the run-state fingerprint does not change with it: no IOC is sent again for carrying it', () => {
    const read = normaliseRecord(record('http://drop-site.com/a'));
    if (!read.ok) throw new Error(read.rejected.reason);
    expect(read.ioc.huntedHost).toBe('drop-site.com');
    const { huntedHost: _, ...asBefore } = read.ioc;
    expect(iocFingerprint(read.ioc)).toBe(iocFingerprint(asBefore));
  });
});
