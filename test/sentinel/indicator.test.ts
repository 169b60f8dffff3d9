import { parseAllowlist } from '../../lib/ioc/benign';
import type { Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';
import { factsFromIndicator, reconcileIndicator } from '../../lib/sentinel/indicator';
import { factsFromIocs } from '../../lib/sentinel/indicatorFacts';
import { planIndicators, toIndicator } from '../support/indicators';

const NOW = new Date('2026-06-21T00:00:00Z');
const OPTIONS = { source: 'ThreatFox', ttlDays: 30, now: NOW };

const base: Omit<Ioc, 'type' | 'value'> = {
  threatfoxId: '1520001',
  malware: 'win.netsupportmanager_rat',
  malwarePrintable: 'NetSupportManager RAT',
  threatType: 'botnet_cc',
  threatTypeDesc: 'Indicator that identifies a botnet command&control server (C&C)',
  confidence: 100,
  firstSeen: '2026-06-20T13:36:27Z',
  lastSeen: '2026-06-20T18:00:00Z',
  tags: ['NetSupport', 'RAT'],
  reporter: 'abuse_ch',
};

describe("one IOC's indicator body (factsFromIocs → renderIndicator)", () => {
  it('a domain: every field a SOC expects', () => {
    const body = toIndicator({ ...base, type: 'domain', value: 'node54group.com' }, OPTIONS);
    expect(body).toEqual({
      kind: 'indicator',
      source: 'ThreatFox',
      displayName: 'NetSupportManager RAT C2: node54group.com',
      description:
        'Domain associated with NetSupportManager RAT (win.netsupportmanager_rat), published by ThreatFox (abuse.ch). ' +
        'Indicator that identifies a botnet command&control server (C&C). Reported by abuse_ch. ThreatFox IOC #1520001.',
      pattern: "[domain-name:value = 'node54group.com']",
      patternType: 'domain-name',
      threatTypes: ['malicious-activity'],
      labels: [
        'family:NetSupportManager RAT',
        'malware:win.netsupportmanager_rat',
        'threat-type:botnet_cc',
        'NetSupport',
        'RAT',
      ],
      validFrom: '2026-06-20T13:36:27.000Z',
      validUntil: '2026-07-20T18:00:00.000Z',
      externalReferences: [
        { sourceName: 'ThreatFox', externalId: '1520001', url: 'https://threatfox.abuse.ch/ioc/1520001/' },
      ],
      killChainPhases: [{ killChainName: 'lockheed-martin-cyber-kill-chain', phaseName: 'command-and-control' }],
      revoked: false,
      confidence: 100,
    });
  });

  it('an ip:port keeps its port in the name, description and labels', () => {
    const body = toIndicator(
      {
        ...base,
        type: 'ipv4',
        value: '91.92.34.228',
        port: 80,
        threatType: 'payload_delivery',
        threatTypeDesc: 'Indicator that identifies a malware distribution server (payload delivery)',
      },
      OPTIONS,
    );
    expect(body.pattern).toBe("[ipv4-addr:value = '91.92.34.228']");
    expect(body.patternType).toBe('ipv4-addr');
    expect(body.displayName).toBe('NetSupportManager RAT payload delivery: 91.92.34.228:80');
    expect(body.description).toContain('Seen on port 80.');
    expect(body.labels).toContain('port:80');
    expect(body.killChainPhases).toEqual([
      { killChainName: 'lockheed-martin-cyber-kill-chain', phaseName: 'delivery' },
    ]);
  });

  it('an IPv6 address with a port is bracketed in the display name', () => {
    const body = toIndicator({ ...base, type: 'ipv6', value: '2001:db8::1', port: 443 }, OPTIONS);
    expect(body.pattern).toBe("[ipv6-addr:value = '2001:db8::1']");
    expect(body.patternType).toBe('ipv6-addr');
    expect(body.displayName).toBe('NetSupportManager RAT C2: [2001:db8::1]:443');
  });

  it('a URL', () => {
    const body = toIndicator(
      { ...base, type: 'url', value: 'http://google2oauth.com/google.txt', threatType: 'payload_delivery' },
      OPTIONS,
    );
    expect(body.pattern).toBe("[url:value = 'http://google2oauth.com/google.txt']");
    expect(body.patternType).toBe('url');
    expect(body.displayName).toBe('NetSupportManager RAT payload delivery: http://google2oauth.com/google.txt');
  });

  it.each([
    ['md5', 'MD5', '44d88612fea8a8f36de82e1278abb02f'],
    ['sha1', 'SHA-1', '3395856ce81f2b7382dee72602f798b642f14140'],
    ['sha256', 'SHA-256', '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f'],
  ] as const)('a %s hash is a file pattern', (type, algorithm, value) => {
    const body = toIndicator({ ...base, type, value, threatType: 'payload' }, OPTIONS);
    expect(body.pattern).toBe(`[file:hashes.'${algorithm}' = '${value}']`);
    expect(body.patternType).toBe('file');
    expect(body.killChainPhases).toEqual([
      { killChainName: 'lockheed-martin-cyber-kill-chain', phaseName: 'installation' },
    ]);
  });

  it('is deterministic: `now` matters only when there is no first-seen date', () => {
    const ioc: Ioc = { ...base, type: 'domain', value: 'a.example' };
    expect(toIndicator(ioc, OPTIONS)).toEqual(toIndicator(ioc, { ...OPTIONS, now: new Date('2030-01-01T00:00:00Z') }));
    const pasted: Ioc = { type: 'domain', value: 'pasted.example', malware: 'win.netsupportmanager_rat' };
    const body = toIndicator(pasted, OPTIONS);
    expect(body.validFrom).toBe(NOW.toISOString());
    expect(body.validUntil).toBe('2026-07-21T00:00:00.000Z');
    expect(body.confidence).toBeUndefined();
    // One naming: a pasted IOC (the family id only) is named like a ThreatFox one (malware_printable).
    expect(body.displayName).toBe('NetSupportManager RAT Domain: pasted.example');
    expect(body.description).toContain('associated with NetSupportManager RAT (win.netsupportmanager_rat)');
    const other = toIndicator({ ...pasted, malware: 'win.cobalt_strike' }, OPTIONS);
    expect(other.displayName).toBe('Cobalt Strike Domain: pasted.example');
  });

  it('keeps a ThreatFox tag from posing as one of our labels', () => {
    const body = toIndicator(
      { ...base, type: 'domain', value: 'a.example', tags: ['port:22', 'malware:other', 'ok'] },
      OPTIONS,
    );
    expect(body.labels).not.toContain('port:22');
    expect(body.labels).not.toContain('malware:other');
    expect(body.labels).toContain('ok');
  });
});

describe('planIndicators', () => {
  it('merges IOCs that share a pattern: all ports, widest validity, highest confidence', () => {
    const plan = planIndicators(
      [
        {
          ...base,
          type: 'ipv4',
          value: '91.92.34.228',
          port: 80,
          threatfoxId: '11',
          confidence: 50,
          firstSeen: '2026-06-19T00:00:00Z',
          lastSeen: '2026-06-19T00:00:00Z',
        },
        {
          ...base,
          type: 'ipv4',
          value: '91.92.34.228',
          port: 443,
          threatfoxId: '12',
          confidence: 75,
          firstSeen: '2026-06-20T00:00:00Z',
          lastSeen: '2026-06-20T12:00:00Z',
        },
        { ...base, type: 'domain', value: 'a.example' },
      ],
      OPTIONS,
    );
    expect(plan).toHaveLength(2);
    const ip = plan[0];
    expect(ip.labels).toEqual(expect.arrayContaining(['port:80', 'port:443']));
    expect(ip.displayName).toBe('NetSupportManager RAT C2: 91.92.34.228 (ports 80, 443)');
    expect(ip.validFrom).toBe('2026-06-19T00:00:00.000Z');
    expect(ip.validUntil).toBe('2026-07-20T12:00:00.000Z');
    expect(ip.confidence).toBe(75);
    expect(ip.externalReferences?.map((r) => r.externalId)).toEqual(['11', '12']);
  });
});

describe('reconcileIndicator', () => {
  const ioc: Ioc = { ...base, type: 'domain', value: 'a.example' };
  const existing = () => ({ ...toIndicator(ioc, OPTIONS), name: 'n1', created: '2026-06-20T14:00:00.0000000Z' });

  it('has nothing to write for the same IOC, whatever spelling the service gave the dates', () => {
    const stored = {
      ...existing(),
      validFrom: '2026-06-20T13:36:27.0000000Z',
      validUntil: '2026-07-20T18:00:00.0000000Z',
    };
    expect(reconcileIndicator(stored, factsFromIocs([ioc], OPTIONS), 'ThreatFox')).toBeUndefined();
  });

  it('extends validUntil for a newer last seen and never moves validFrom later', () => {
    const newer = factsFromIocs(
      [{ ...ioc, firstSeen: '2026-06-25T00:00:00Z', lastSeen: '2026-06-30T00:00:00Z' }],
      OPTIONS,
    );
    const body = reconcileIndicator(existing(), newer, 'ThreatFox');
    expect(body?.validFrom).toBe('2026-06-20T13:36:27.000Z');
    expect(body?.validUntil).toBe('2026-07-30T00:00:00.000Z');
  });

  it('never shortens the window for an older sighting', () => {
    const older = factsFromIocs(
      [{ ...ioc, firstSeen: '2026-06-20T13:36:27Z', lastSeen: '2026-06-20T14:00:00Z' }],
      OPTIONS,
    );
    expect(reconcileIndicator(existing(), older, 'ThreatFox')).toBeUndefined();
  });

  it('keeps an analyst revocation', () => {
    const revoked = { ...existing(), revoked: true };
    expect(reconcileIndicator(revoked, factsFromIocs([ioc], OPTIONS), 'ThreatFox')).toBeUndefined();
    const later = factsFromIocs([{ ...ioc, lastSeen: '2026-06-30T00:00:00Z' }], OPTIONS);
    expect(reconcileIndicator(revoked, later, 'ThreatFox')?.revoked).toBe(true);
  });

  it('follows a changed confidence and keeps ports, ids and analyst tags already on it', () => {
    const stored = {
      ...toIndicator({ ...ioc, type: 'ipv4', value: '1.2.3.4', port: 80 }, OPTIONS),
      threatIntelligenceTags: ['triaged'],
    };
    const body = reconcileIndicator(
      stored,
      factsFromIocs(
        [{ ...ioc, type: 'ipv4', value: '1.2.3.4', port: 443, confidence: 40, threatfoxId: '99' }],
        OPTIONS,
      ),
      'ThreatFox',
    );
    expect(body?.confidence).toBe(40);
    expect(body?.labels).toEqual(expect.arrayContaining(['port:80', 'port:443']));
    expect(body?.externalReferences?.map((r) => r.externalId)).toEqual(['99', '1520001']);
    expect(body?.threatIntelligenceTags).toEqual(['triaged']);
  });
});

describe('factsFromIndicator', () => {
  it('reads back type, value, every port, family, threat type, id and confidence', () => {
    const [body] = planIndicators(
      [
        { ...base, type: 'ipv4', value: '91.92.34.228', port: 80 },
        { ...base, type: 'ipv4', value: '91.92.34.228', port: 443 },
      ],
      OPTIONS,
    );
    expect(factsFromIndicator(body)).toEqual(
      expect.objectContaining({
        type: 'ipv4',
        value: '91.92.34.228',
        ports: [80, 443],
        malware: ['win.netsupportmanager_rat'],
        families: ['NetSupportManager RAT'],
        threatTypes: ['botnet_cc'],
        threatfoxIds: ['1520001'],
        confidence: 100,
      }),
    );
  });

  it('reads a hostile URL back exactly, and its hunted host is a label, not a tag', () => {
    const value = "http://evil.example/a'b\\c";
    const body = toIndicator(withHuntedHost({ ...base, type: 'url', value }), OPTIONS);
    expect(body.labels).toContain('hunt-host:evil.example');
    expect(factsFromIndicator(body)?.value).toBe(value);
    expect(factsFromIndicator(body)?.tags).not.toContain('hunt-host:evil.example');
    // A payload on well-known infrastructure gets no hunted host.
    expect(
      toIndicator(
        withHuntedHost({ ...base, type: 'url', value: 'https://github.com/a/b/raw/x.zip' }),
        OPTIONS,
      ).labels?.some((l) => l.startsWith('hunt-host:')),
    ).toBe(false);
  });

  it('a host the tenant allow-listed (BENIGN_ALLOWLIST) gets no hunt-host label; the URL stays an indicator', () => {
    const allow = parseAllowlist('partner.example').allowlist;
    const read: Ioc = { ...base, type: 'url', value: 'https://cdn.partner.example/x.zip' };
    // Normalised without and with the host allow-listed.
    const url = withHuntedHost(read);
    const allowedUrl = withHuntedHost(read, allow);
    const huntHosts = (labels: string[] | undefined) => (labels ?? []).filter((l) => l.startsWith('hunt-host:'));
    expect(huntHosts(toIndicator(url, OPTIONS).labels)).toEqual(['hunt-host:cdn.partner.example']);
    const allowed = toIndicator(allowedUrl, OPTIONS);
    expect(allowed.pattern).toBe("[url:value = 'https://cdn.partner.example/x.zip']");
    expect(huntHosts(allowed.labels)).toEqual([]);
    expect(huntHosts(planIndicators([allowedUrl], OPTIONS)[0].labels)).toEqual([]);
    // An indicator written before the host was allow-listed loses the label on the next write.
    const before = toIndicator(url, OPTIONS);
    expect(huntHosts(reconcileIndicator(before, factsFromIocs([allowedUrl], OPTIONS), 'ThreatFox')?.labels)).toEqual(
      [],
    );
    // Read back, the label is kept as written: the read-back does not know the allow-list.
    expect(factsFromIndicator(before)?.huntHost).toBe('cdn.partner.example');
  });

  it('gives nothing for a compound pattern it did not write', () => {
    expect(
      factsFromIndicator({
        kind: 'indicator',
        pattern: "[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 80]",
      }),
    ).toBeUndefined();
  });
});
