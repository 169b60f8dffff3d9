import { dedupeIocs, normaliseRecords, parseIocText } from '../../lib/ioc/normalise';
import { planIndicators } from '../support/indicators';
import type { Ioc } from '../../lib/ioc/types';
import { type ThreatFoxRecord, threatFoxRecordSchema } from '../../lib/threatfox/schema';

/** A record as ThreatFox sends it, run through the real schema so fields are as the pipeline sees them. */
function record(over: Record<string, unknown>): ThreatFoxRecord {
  return threatFoxRecordSchema.parse({
    id: '1579705',
    ioc: '91.92.34.228:80',
    threat_type: 'payload_delivery',
    threat_type_desc: 'Indicator that identifies a malware distribution server (payload delivery)',
    ioc_type: 'ip:port',
    ioc_type_desc: 'ip:port combination that is used for payload delivery',
    malware: 'win.netsupportmanager_rat',
    malware_printable: 'NetSupportManager RAT',
    malware_alias: 'NetSupport RAT',
    malware_malpedia: 'https://malpedia.caad.fkie.fraunhofer.de/details/win.netsupportmanager_rat',
    confidence_level: 100,
    first_seen: '2026-06-19 18:02:14 UTC',
    last_seen: null,
    reference: 'https://example.org/report',
    reporter: 'abuse_ch',
    tags: ['NetSupport', 'ClickFix'],
    ...over,
  });
}

describe('normaliseRecords', () => {
  test('maps the ThreatFox metadata onto each IOC', () => {
    const { iocs, rejected } = normaliseRecords([record({})]);
    expect(rejected).toEqual([]);
    expect(iocs).toEqual<Ioc[]>([
      {
        type: 'ipv4',
        value: '91.92.34.228',
        port: 80,
        threatfoxId: '1579705',
        malware: 'win.netsupportmanager_rat',
        malwarePrintable: 'NetSupportManager RAT',
        threatType: 'payload_delivery',
        threatTypeDesc: 'Indicator that identifies a malware distribution server (payload delivery)',
        confidence: 100,
        firstSeen: '2026-06-19T18:02:14Z',
        reference: 'https://example.org/report',
        tags: ['NetSupport', 'ClickFix'],
        reporter: 'abuse_ch',
      },
    ]);
    expect(Object.values(iocs[0])).not.toContain(undefined);
  });

  test('keys the family by its lower-case ThreatFox id, as settings and queue messages do', () => {
    const { iocs } = normaliseRecords([record({ malware: ' Win.NetSupportManager_RAT ' })]);
    expect(iocs[0].malware).toBe('win.netsupportmanager_rat');
  });

  test('rejects what it cannot express, keeps the rest, and says why for each', () => {
    const { iocs, rejected } = normaliseRecords([
      record({ id: '1', ioc: 'evil.com', ioc_type: 'domain' }),
      record({ id: '2', ioc: 'a'.repeat(96), ioc_type: 'sha3_384_hash' }),
      record({ id: '3', ioc: 'spam@evil.com', ioc_type: 'envelope_from' }),
      record({ id: '4', ioc: 'x', ioc_type: 'ja3_fingerprint' }),
      record({ id: '5', ioc: 'http://evil.com/a', ioc_type: 'domain' }),
      record({ id: '6', ioc: '999.1.1.1:80' }),
      record({ id: '7', ioc: 'evil.com"; drop table', ioc_type: 'domain' }),
      record({ id: '8', ioc: 'HTTP://Evil.COM/A?B=C', ioc_type: 'url' }),
    ]);
    expect(iocs.map((i) => [i.threatfoxId, i.type, i.value])).toEqual([
      ['1', 'domain', 'evil.com'],
      ['8', 'url', 'http://evil.com/A?B=C'],
    ]);
    expect(rejected).toHaveLength(6);
    expect(rejected.map((r) => r.input)).toEqual([
      `ThreatFox #2: ${'a'.repeat(96)}`,
      'ThreatFox #3: spam@evil.com',
      'ThreatFox #4: x',
      'ThreatFox #5: http://evil.com/a',
      'ThreatFox #6: 999.1.1.1:80',
      'ThreatFox #7: evil.com"; drop table',
    ]);
    expect(rejected[0].reason).toMatch(/sha3_384_hash cannot be expressed as a Sentinel indicator/);
    expect(rejected[1].reason).toMatch(/envelope_from .*cannot be expressed/);
    expect(rejected[2].reason).toMatch(/unknown ThreatFox ioc_type "ja3_fingerprint"/);
    expect(rejected[3].reason).toMatch(/ioc_type is domain but the value is a url/);
    expect(rejected[4].reason).toMatch(/not a valid IPv4/);
    expect(rejected[5].reason).toMatch(/whitespace|not allowed/);
  });

  test('dedupes the same IOC reported twice, merging its metadata', () => {
    const { iocs } = normaliseRecords([
      record({
        id: '10',
        ioc: 'Evil.com',
        ioc_type: 'domain',
        confidence_level: 50,
        first_seen: '2026-06-02 00:00:00 UTC',
        last_seen: '2026-06-03 00:00:00 UTC',
        tags: ['RAT'],
      }),
      record({
        id: '11',
        ioc: 'evil.com.',
        ioc_type: 'domain',
        confidence_level: 90,
        first_seen: '2026-06-01 00:00:00 UTC',
        last_seen: '2026-06-05 00:00:00 UTC',
        tags: ['rat', 'C2'],
        reference: 'https://other.example/',
      }),
    ]);
    expect(iocs).toHaveLength(1);
    expect(iocs[0]).toMatchObject({
      value: 'evil.com',
      threatfoxId: '10',
      confidence: 90,
      firstSeen: '2026-06-01T00:00:00Z',
      lastSeen: '2026-06-05T00:00:00Z',
      tags: ['RAT', 'C2'],
      reference: 'https://example.org/report',
    });
  });
});

describe('parseIocText', () => {
  const pasted = [
    '# Defanged IOCs from a report',
    '// another comment',
    '',
    'hxxp://google2oauth[.]com/google.txt',
    '  hXXps://beroniw[.]com/hwkOP5  ',
    '91[.]92[.]34[.]228[:]80',
    'node54group(.)com   # C2, seen 2026-06-20',
    'feersona[dot]net.',
    '"bryonsad.net"',
    'tiqwtkmma[.]com,botnet_cc,100',
    'zbxcgtqt[.]com\tbotnet_cc',
    'http://evil[.]com/a?x=1,2',
    'http://evil[.]com/page#section',
    'D41D8CD98F00B204E9800998ECF8427F',
    'NODE54GROUP[.]COM',
    '999.1.1.1',
    'evil.com"; drop',
    'evil.com|whoami',
    'evil.com\\x',
    'evil\u202Emoc.com',
    '1.2.3.4:70000',
    'ioc,type,comment',
  ].join('\r\n');

  test('turns a pasted list into IOCs and rejects the rest with line numbers', () => {
    const { iocs, rejected } = parseIocText(pasted, {
      malware: 'win.netsupportmanager_rat',
      tags: ['pasted'],
      value: 'ignored',
    });
    expect(iocs.map((i) => [i.type, i.value, i.port])).toEqual([
      ['url', 'http://google2oauth.com/google.txt', undefined],
      ['url', 'https://beroniw.com/hwkOP5', undefined],
      ['ipv4', '91.92.34.228', 80],
      ['domain', 'node54group.com', undefined],
      ['domain', 'feersona.net', undefined],
      ['domain', 'bryonsad.net', undefined],
      ['domain', 'tiqwtkmma.com', undefined],
      ['domain', 'zbxcgtqt.com', undefined],
      ['url', 'http://evil.com/a?x=1,2', undefined],
      ['url', 'http://evil.com/page#section', undefined],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427f', undefined],
    ]);
    for (const i of iocs) expect(i).toMatchObject({ malware: 'win.netsupportmanager_rat', tags: ['pasted'] });
    expect(rejected.map((r) => r.input)).toEqual([
      '999.1.1.1',
      'evil.com"; drop',
      'evil.com|whoami',
      'evil.com\\x',
      'evil\u202Emoc.com',
      '1.2.3.4:70000',
      'ioc,type,comment',
    ]);
    expect(rejected[0].reason).toMatch(/^line 16: .*not a valid IPv4/);
    expect(rejected[4].reason).toMatch(/U\+202E/);
    expect(rejected[5].reason).toMatch(/^line 21: .*out of range/);
  });

  test('every non-comment line is accounted for', () => {
    const { iocs, rejected } = parseIocText(pasted);
    const lines = pasted.split('\r\n').filter((l) => l.trim() && !/^\s*(#|\/\/)/.test(l));
    const duplicates = 1; // NODE54GROUP[.]COM
    expect(iocs.length + rejected.length + duplicates).toBe(lines.length);
  });

  test('a hostile line of 200k spaces is handled in linear time', () => {
    const started = Date.now();
    const { iocs, rejected } = parseIocText(`a${' '.repeat(200_000)}b\n${'[ '.repeat(50_000)}`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(iocs).toEqual([]);
    expect(rejected).toHaveLength(2);
  });

  test('a value is taken whole or refused with a reason, never cut at a comma or tab (issue 9 #6)', () => {
    const text = [
      'http://cdn.legit-vendor.com/download,evil"payload.exe',
      'http://cdn.legit-vendor.com/a,b\tc',
      'evil-c2[.]com,91.92.34.228',
      'hxxp://evil[.]com/x,notes',
      '45.9.20.0/24',
      '2a01:4f8::/32',
      'evil-c2[.]com,C2 panel',
    ].join('\n');
    const { iocs, rejected } = parseIocText(text);
    // A URL may hold commas, so it is judged whole; a domain cannot, so its notes may follow it.
    expect(iocs.map((i) => i.value)).toEqual(['http://evil.com/x,notes', 'evil-c2.com']);
    expect(rejected.map((r) => [r.input, r.reason])).toEqual([
      [
        'http://cdn.legit-vendor.com/download,evil"payload.exe',
        expect.stringMatching(/^line 1: contains a character not allowed in a URL: """/),
      ],
      ['http://cdn.legit-vendor.com/a,b\tc', expect.stringMatching(/^line 2: contains whitespace or an invisible/)],
      ['evil-c2[.]com,91.92.34.228', expect.stringMatching(/^line 3: holds more than one value/)],
      ['45.9.20.0/24', expect.stringMatching(/^line 5: "45.9.20.0\/24" is a CIDR range/)],
      ['2a01:4f8::/32', expect.stringMatching(/^line 6: "2a01:4f8::\/32" is a CIDR range/)],
    ]);
  });

  test('empty or comment-only text gives nothing', () => {
    expect(parseIocText('')).toEqual({ iocs: [], rejected: [] });
    expect(parseIocText('\n# x\n  \n// y\n')).toEqual({ iocs: [], rejected: [] });
  });
});

describe('dedupeIocs', () => {
  test('key is type + value + port + family; metadata merged; inputs untouched', () => {
    const a: Ioc = {
      type: 'ipv4',
      value: '1.2.3.4',
      port: 80,
      threatfoxId: '1',
      confidence: 75,
      firstSeen: '2026-05-02T00:00:00Z',
      tags: ['a'],
    };
    const b: Ioc = { type: 'ipv4', value: '1.2.3.4', port: 443, threatfoxId: '2' };
    const c: Ioc = {
      type: 'ipv4',
      value: '1.2.3.4',
      port: 80,
      threatfoxId: '3',
      confidence: 100,
      firstSeen: '2026-05-01T00:00:00Z',
      lastSeen: '2026-05-09T00:00:00Z',
      tags: ['b', 'A'],
      reference: 'r3',
    };
    const d: Ioc = { type: 'domain', value: '1.2.3.4.example.com' };
    const before = JSON.stringify([a, b, c, d]);
    const out = dedupeIocs([a, b, c, d]);
    expect(JSON.stringify([a, b, c, d])).toBe(before);
    expect(out).toEqual([
      {
        type: 'ipv4',
        value: '1.2.3.4',
        port: 80,
        threatfoxId: '1',
        confidence: 100,
        firstSeen: '2026-05-01T00:00:00Z',
        lastSeen: '2026-05-09T00:00:00Z',
        tags: ['a', 'b'],
        reference: 'r3',
      },
      b,
      d,
    ]);
  });

  test('an ip:port and the bare IP are different IOCs', () => {
    expect(
      dedupeIocs([
        { type: 'ipv4', value: '1.2.3.4' },
        { type: 'ipv4', value: '1.2.3.4', port: 80 },
      ]),
    ).toHaveLength(2);
  });

  test('the same IOC under two families is kept once per family, the same family still merges', () => {
    const out = dedupeIocs([
      { type: 'domain', value: 'evil.example', malware: 'win.netsupportmanager_rat', threatfoxId: '1' },
      { type: 'domain', value: 'evil.example', malware: 'js.clearfake', threatfoxId: '2' },
      { type: 'domain', value: 'evil.example', malware: 'win.netsupportmanager_rat', threatfoxId: '3', confidence: 90 },
    ]);
    expect(out).toEqual([
      { type: 'domain', value: 'evil.example', malware: 'win.netsupportmanager_rat', threatfoxId: '1', confidence: 90 },
      { type: 'domain', value: 'evil.example', malware: 'js.clearfake', threatfoxId: '2' },
    ]);
  });
});

describe('one domain reported under two families', () => {
  const records = [
    record({ id: '21', ioc: 'sharedc2-panel.com', ioc_type: 'domain', threat_type: 'botnet_cc' }),
    record({
      id: '22',
      ioc: 'sharedc2-panel.com',
      ioc_type: 'domain',
      threat_type: 'botnet_cc',
      malware: 'js.clearfake',
      malware_printable: 'ClearFake',
      malware_alias: null,
      malware_malpedia: 'https://malpedia.caad.fkie.fraunhofer.de/details/js.clearfake',
    }),
  ];

  test('normalising keeps one IOC per family', () => {
    const { iocs } = normaliseRecords(records);
    expect(iocs.map((i) => [i.value, i.malware, i.threatfoxId])).toEqual([
      ['sharedc2-panel.com', 'win.netsupportmanager_rat', '21'],
      ['sharedc2-panel.com', 'js.clearfake', '22'],
    ]);
  });

  test('they become one indicator labelled with both families', () => {
    const plan = planIndicators(normaliseRecords(records).iocs, {
      source: 'ThreatFox',
      ttlDays: 30,
      now: new Date('2026-06-21T00:00:00Z'),
    });
    expect(plan).toHaveLength(1);
    expect(plan[0].pattern).toBe("[domain-name:value = 'sharedc2-panel.com']");
    expect(plan[0].labels).toEqual(
      expect.arrayContaining([
        'family:ClearFake',
        'family:NetSupportManager RAT',
        'malware:js.clearfake',
        'malware:win.netsupportmanager_rat',
      ]),
    );
    expect(plan[0].externalReferences?.map((r) => r.externalId).filter(Boolean)).toEqual(
      expect.arrayContaining(['21', '22']),
    );
  });
});
