import type { Ioc } from '../../lib/ioc/types';
import { type HuntingQuery } from '../../lib/kql/huntingQuery';
import { buildInlineQueries, DEFAULT_MAX_QUERY_CHARS } from '../../lib/kql/inlineQueries';
import { kqlString } from '../../lib/kql/literal';
import { hostPartExpr } from '../../lib/kql/queries/match';
import { TABLE_SCHEMAS } from '../support/tableSchemas';
import { kqlDiagnostics } from '../support/kusto';
import { hostileIocs, manyIocs, MIXED, SEED_000, SEED_001, shuffled } from './fixtures';

/** Every `let name = dynamic([...]);` list in a query, parsed as the engine would (JSON). */
function lists(query: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of query.matchAll(/^let (\w+) = dynamic\((\[.*\])\);$/gm)) out[m[1]] = JSON.parse(m[2]);
  return out;
}

/** The IP → ports bag of the network queries. */
function ipPorts(query: string): Record<string, number[]> {
  const m = /^let iocIpPorts = dynamic\((\{.*\})\);$/m.exec(query);
  return m ? JSON.parse(m[1]) : {};
}

/** The query with every string literal emptied: what is left is the query's structure. */
function skeleton(query: string): string {
  return query.replace(/"(?:[^"\\\n]|\\.)*"/g, '""').replace(/^\/\/.*$/gm, '//');
}

/** The IOC hunts by table (behaviour hunts, which need no IOC, left out). */
const byTable = (qs: HuntingQuery[]) =>
  Object.fromEntries(qs.filter((q) => q.form === 'inline').map((q) => [q.table, q]));
const inlineOnly = (qs: HuntingQuery[]) => qs.filter((q) => q.form === 'inline');

describe('buildInlineQueries', () => {
  const cases: [string, Ioc[]][] = [
    ['seed 000', SEED_000],
    ['seed 001', SEED_001],
    ['mixed IOC types and families', MIXED],
    ['hostile values', hostileIocs()],
  ];

  test.each(cases)('every query for %s is valid KQL against the real table schemas', (_name, iocs) => {
    const queries = buildInlineQueries(iocs);
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect({ id: q.id, errors: kqlDiagnostics(q.query) }).toEqual({ id: q.id, errors: [] });
    }
  });

  test('seed 000: one query per table that has IOCs, with the right lists', () => {
    const qs = byTable(buildInlineQueries(SEED_000));
    expect(Object.keys(qs).sort()).toEqual(
      [
        'ASimDnsActivityLogs',
        'CommonSecurityLog',
        'DeviceFileEvents',
        'DeviceNetworkEvents',
        'DnsEvents',
        'EmailUrlInfo',
        'UrlClickEvents',
        '_Im_Dns',
        '_Im_NetworkSession',
        '_Im_WebSession',
      ].sort(),
    );
    const dns = lists(qs.DnsEvents.query);
    expect(dns.iocDomains).toEqual([
      'beroniw.com',
      'golviewcheckus.com',
      'google2oauth.com',
      'node54group.com',
      'node66group.pro',
      'tiqwtkmma.com',
      'zbxcgtqt.com',
    ]);
    // Every IOC reaches DnsEvents: domains and URL hosts as lookups, IPs (and the URL on a bare IP) as answers.
    expect(qs.DnsEvents.iocCount).toBe(12);
    // DNS matching is exact or on a label boundary, not a bare has_any.
    expect(qs.DnsEvents.query).toMatch(/QueryName == IocDomain or QueryName endswith strcat\("\.", IocDomain\)/);
    expect(ipPorts(qs.CommonSecurityLog.query)).toEqual({ '172.93.185.254': [80], '91.92.34.228': [80] });
    expect(qs.DeviceNetworkEvents.query).toContain('"::ffff:91.92.34.228": "91.92.34.228"');
    expect(lists(qs.UrlClickEvents.query).iocUrls).toEqual([
      'http://91.92.34.228/test22.txt',
      'http://google2oauth.com/google.txt',
      'https://beroniw.com/hwkOP5',
    ]);
    for (const q of Object.values(qs)) {
      expect(q.query).toMatch(
        /\| where TimeGenerated between \(starttime \.\. endtime\)|\(starttime = starttime, endtime = endtime/,
      );
      expect(q.query).toContain("let starttime = coalesce(todatetime('{{StartTimeISO}}'), ago(14d));");
      expect(q.familyName).toBe('NetSupportManager RAT');
      expect(q.techniques).toContain('T1219');
      expect(q.tactics).toContain('CommandAndControl');
      expect(q.requiredTables).toEqual(q.table === 'EmailUrlInfo' ? [q.table, 'EmailEvents'] : [q.table]);
      expect(q.form).toBe('inline');
      expect(q.part).toBeUndefined();
    }
    expect(qs.CommonSecurityLog.name).toBe(
      'NetSupportManager RAT C2 and payload IPs, domains and URLs in CommonSecurityLog (ThreatFox)',
    );
  });

  test('ip:port IOCs keep every port, and the query flags whether the connection used it', () => {
    const nsm = buildInlineQueries(MIXED).filter((q) => q.family === 'win.netsupportmanager_rat');
    const csl = nsm.find((q) => q.table === 'CommonSecurityLog')!;
    expect(ipPorts(csl.query)).toEqual({ '2001:db8::5': [8080], '91.92.34.228': [443] });
    expect(csl.query).toContain(
      'PortMatchesIoc = iff(array_length(IocPorts) > 0, set_has_element(IocPorts, IocSidePort), bool(null))',
    );
  });

  test('groups by family; hash tables only when hash IOCs exist; unattributed IOCs are kept', () => {
    const qs = buildInlineQueries(MIXED);
    const tablesOf = (family: string) =>
      inlineOnly(qs)
        .filter((q) => q.family === family)
        .map((q) => q.table);
    expect(tablesOf('win.netsupportmanager_rat')).toEqual([
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_NetworkSession',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
      'DeviceProcessEvents',
    ]);
    expect(tablesOf('js.clearfake')).toEqual([
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
    ]);
    expect(tablesOf('unattributed')).toEqual([
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      '_Im_NetworkSession',
      'DeviceFileEvents',
    ]);
    expect(inlineOnly(buildInlineQueries(SEED_001)).map((q) => q.table)).toEqual([
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_NetworkSession',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
    ]);
    const hashes = inlineOnly(qs).find((q) => q.table === 'DeviceProcessEvents')!;
    expect(lists(hashes.query)).toEqual({
      iocSha256: ['a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef'],
      iocSha1: ['0123456789abcdef0123456789abcdef01234567'],
      iocMd5: ['0123456789abcdef0123456789abcdef'],
    });
    expect(hashes.tactics).toEqual(['Execution', 'CommandAndControl']);
    expect(hashes.query).toMatch(/NetSupportClientOutsideProgramFiles/);
    expect(qs.filter((q) => q.family === 'js.clearfake').some((q) => /NetSupport/.test(q.query))).toBe(false);
  });

  test('ids are stable, unique and safe as ARM resource names', () => {
    for (const qs of [buildInlineQueries(MIXED), buildInlineQueries(manyIocs(600), { maxQueryChars: 4000 })]) {
      for (const q of qs) expect(q.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(new Set(qs.map((q) => q.id)).size).toBe(qs.length);
    }
    expect(buildInlineQueries(SEED_000)[0].id).toBe(buildInlineQueries(SEED_001)[0].id);
    expect(buildInlineQueries(SEED_000)[0].id).toMatch(
      /^threatfox-win-netsupportmanager-rat-[0-9a-f]{6}-commonsecuritylog$/,
    );
  });

  test('the same IOC set in any order (and with duplicates) gives byte-identical queries', () => {
    const a = buildInlineQueries(MIXED);
    const b = buildInlineQueries(shuffled([...MIXED, ...MIXED.slice(0, 5)], 3));
    expect(b).toEqual(a);
    const big = manyIocs(500);
    expect(buildInlineQueries(shuffled(big, 9), { maxQueryChars: 5000 })).toEqual(
      buildInlineQueries(big, { maxQueryChars: 5000 }),
    );
  });

  test('hostile values stay inside their literals and cannot change the query', () => {
    const hostile = hostileIocs();
    // Same types and counts, harmless values: the structure must be identical.
    const benign = hostile.map((ioc, i) => ({
      ...ioc,
      value: ioc.type === 'url' ? `http://u${i}.example/p` : `v${i}.example`,
      malwarePrintable: 'NetSupport',
    }));
    const hq = buildInlineQueries(hostile);
    const bq = buildInlineQueries(benign);
    expect(hq.map((q) => q.table)).toEqual(bq.map((q) => q.table));
    hq.forEach((q, i) => {
      expect(skeleton(q.query)).toEqual(skeleton(bq[i].query).replace(/^\/\/.*$/gm, '//'));
      expect(q.query.split('\n').filter((l) => l.startsWith('//'))).toHaveLength(5);
    });
    const dns = hq.find((q) => q.table === 'DnsEvents')!;
    const asimDns = hq.find((q) => q.table === 'ASimDnsActivityLogs')!;
    for (const ioc of hostile.filter((i) => i.type === 'domain')) {
      expect(dns.query).toContain(kqlString(ioc.value.toLowerCase()));
      expect(asimDns.query).toContain(kqlString(ioc.value.toLowerCase()));
    }
    // A family name from the feed goes into a comment: no line break can escape it.
    const renamed = buildInlineQueries(hostile.map((i) => ({ ...i, malware: 'win.other_rat' })));
    for (const q of renamed) {
      expect(q.query.split('\n')[0]).toMatch(/^\/\/ Net"Support \| take 1 \d+ \(win\.other_rat\)/);
      expect(q.name).not.toMatch(/\n/);
      expect(kqlDiagnostics(q.query)).toEqual([]);
    }
  });

  test('splits a large family into parts under the limit, each IOC exactly once', () => {
    const iocs = manyIocs(2000);
    const max = 6000;
    const qs = buildInlineQueries(iocs, { maxQueryChars: max });
    const dns = qs.filter((q) => q.table === 'DnsEvents');
    expect(dns.length).toBeGreaterThan(2);
    dns.forEach((q, i) => {
      expect(q.part).toEqual({ index: i + 1, of: dns.length });
      expect(q.name).toMatch(new RegExp(`\\(part ${i + 1} of ${dns.length}\\)$`));
      expect(q.query).toContain(`(part ${i + 1} of ${dns.length})`);
    });
    expect(dns[0].id).toMatch(/-dnsevents$/);
    expect(dns[1].id).toMatch(/-dnsevents-part2$/);
    for (const q of qs) expect(q.query.length).toBeLessThanOrEqual(max);

    const expectOnce = (table: string, pick: (q: HuntingQuery) => string[], expected: string[]) => {
      const seen = qs.filter((q) => q.table === table).flatMap(pick);
      expect(seen.length).toBe(new Set(seen).size);
      expect([...seen].sort()).toEqual([...expected].sort());
    };
    const values = (type: Ioc['type']) => iocs.filter((i) => i.type === type).map((i) => i.value);
    // URL hosts are hunted as domains too.
    const hunted = [...values('domain'), ...values('url').map((u) => new URL(u).hostname)];
    expectOnce('DnsEvents', (q) => lists(q.query).iocDomains ?? [], hunted);
    expectOnce('ASimDnsActivityLogs', (q) => lists(q.query).iocDomains ?? [], hunted);
    expect(qs.filter((q) => q.table === 'ASimDnsActivityLogs').map((q) => q.id)[1]).toMatch(
      /-asimdnsactivitylogs-part2$/,
    );
    expectOnce('UrlClickEvents', (q) => lists(q.query).iocUrls ?? [], values('url'));
    expectOnce('DeviceFileEvents', (q) => lists(q.query).iocSha256 ?? [], values('sha256'));
    expectOnce('CommonSecurityLog', (q) => Object.keys(ipPorts(q.query)), values('ipv4'));
    const cslCount = qs.filter((q) => q.table === 'CommonSecurityLog').reduce((n, q) => n + (q.iocCount ?? 0), 0);
    expect(cslCount).toBe(iocs.filter((i) => i.type !== 'sha256').length);
    // Parts are real queries too.
    const asimParts = qs.filter((q) => q.table === 'ASimDnsActivityLogs');
    for (const q of [
      dns[0],
      dns[dns.length - 1],
      asimParts[asimParts.length - 1],
      qs.find((x) => x.table === 'DeviceNetworkEvents' && x.part?.index === 2)!,
    ]) {
      expect(kqlDiagnostics(q.query)).toEqual([]);
    }
  });

  test('the default limit is respected by a realistic large feed', () => {
    const qs = buildInlineQueries(manyIocs(2000));
    for (const q of qs) expect(q.query.length).toBeLessThanOrEqual(DEFAULT_MAX_QUERY_CHARS);
    expect(qs.some((q) => q.part)).toBe(true);
  });

  test('a lookback or limit that is not a plain number is refused', () => {
    expect(() => buildInlineQueries(SEED_000, { lookback: '14d); DnsEvents | take 1 //' })).toThrow(RangeError);
    expect(() => buildInlineQueries(SEED_000, { maxQueryChars: 100 })).toThrow(RangeError);
    expect(buildInlineQueries(SEED_000, { lookback: '30d' })[0].query).toMatch(/ago\(30d\)\);$/m);
  });

  test('false-positive guidance fits the table and family', () => {
    const qs = byTable(buildInlineQueries(MIXED.filter((i) => i.malware === 'win.netsupportmanager_rat')));
    const scenarios = (t: string) => qs[t].falsePositives.map((f) => f.scenario);
    expect(scenarios('DnsEvents')).toContain('Sinkholed or parked domain');
    expect(scenarios('DnsEvents')).not.toContain('NetSupport Manager or NetSupport School deployed by IT');
    expect(scenarios('DeviceProcessEvents')).toContain('NetSupport Manager or NetSupport School deployed by IT');
    expect(qs.DeviceProcessEvents.falsePositives.find((f) => /NetSupport School/.test(f.scenario))!.guidance).toMatch(
      /client32\.ini/,
    );
    expect(scenarios('CommonSecurityLog')).toContain('Shared hosting, CDN or cloud address');
    expect(scenarios('UrlClickEvents')).toContain('Click blocked by Safe Links');
    for (const q of Object.values(qs)) expect(q.falsePositives.length).toBeGreaterThan(0);
  });

  test('hash IOCs are matched exactly (lower-case lists, case-sensitive in), never with in~', () => {
    for (const q of inlineOnly(buildInlineQueries(MIXED)).filter(
      (x) =>
        x.family === 'win.netsupportmanager_rat' &&
        (x.table === 'DeviceFileEvents' || x.table === 'DeviceProcessEvents'),
    )) {
      expect(q.query.split('\n').filter((l) => /SHA256|SHA1|MD5/.test(l) && /\bin~/.test(l))).toEqual([]);
      expect(q.query).toMatch(/\| where SHA256 in \(iocSha256\) or SHA1 in \(iocSha1\) or MD5 in \(iocMd5\)/);
      for (const list of Object.values(lists(q.query))) for (const v of list) expect(v).toBe(v.toLowerCase());
    }
  });

  test('a pre-filtered table read by two branches is materialized once; one reader needs no cache', () => {
    const qs = byTable(buildInlineQueries(SEED_000));
    expect(qs.CommonSecurityLog.query).toMatch(/^let webEvents = materialize\(CommonSecurityLog\n/m);
    expect(qs.DeviceNetworkEvents.query).toMatch(/^let webEvents = materialize\(DeviceNetworkEvents\n/m);
    expect(qs.UrlClickEvents.query).toMatch(/^let webEvents = materialize\(UrlClickEvents\n/m);
    const domainsOnly = byTable(buildInlineQueries(SEED_001));
    expect(domainsOnly.CommonSecurityLog.query).toMatch(/^let webEvents = CommonSecurityLog\n/m);
    expect(domainsOnly.UrlClickEvents.query).toMatch(/^let webEvents = UrlClickEvents\n/m);
    expect(domainsOnly.UrlClickEvents.query).not.toMatch(/materialize/);
  });

  test('the host of a URL column keeps a bracketed IPv6 literal whole', () => {
    const m = /^extract\(@"(.*)", 1, Url\)$/.exec(hostPartExpr('Url'))!;
    const host = (url: string) => new RegExp(m[1].replace(/""/g, '"')).exec(url)?.[1];
    expect(host('http://[2001:db8::1]:8080/payload.exe')).toBe('[2001:db8::1]');
    expect(host('https://user@a.Evil.com:8443/x?y')).toBe('a.Evil.com');
    expect(host('evil.com:443')).toBe('evil.com');
    expect(host('evil.com')).toBe('evil.com');
  });

  test('descriptions say what a row means for that table and where triage starts, with the same text in the KQL', () => {
    const qs = byTable(buildInlineQueries(MIXED.filter((i) => i.malware === 'win.netsupportmanager_rat')));
    expect(qs.DnsEvents.description).toMatch(
      /a lookup alone does not prove a connection\. Triage: The asking host is ClientIP/,
    );
    expect(qs.UrlClickEvents.description).toMatch(/ClickedThrough true/);
    expect(qs.DeviceProcessEvents.description).toMatch(/the file ran/);
    for (const q of Object.values(qs)) {
      expect(q.description).not.toMatch(/false-positive notes/);
      expect(q.query.split('\n')[2]).toMatch(/^\/\/ Triage: \S/);
      expect(q.description).toContain(q.query.split('\n')[2].slice('// Triage: '.length + 1));
    }
  });

  describe('ASimDnsActivityLogs (Windows DNS Events via AMA)', () => {
    const asim = (iocs: Ioc[]) => buildInlineQueries(iocs).find((q) => q.table === 'ASimDnsActivityLogs')!;

    test('hunts the same domains as DnsEvents, matched exactly on label boundaries after a has_any pre-filter', () => {
      const qs = byTable(buildInlineQueries(SEED_000));
      const q = qs.ASimDnsActivityLogs;
      expect(lists(q.query).iocDomains).toEqual(lists(qs.DnsEvents.query).iocDomains);
      expect(q.iocCount).toBe(9);
      expect(q.query).not.toMatch(/^let iocHosts/m);
      expect(q.query).toMatch(
        /^let domainHits = ASimDnsActivityLogs\n {4}\| where TimeGenerated between \(starttime \.\. endtime\)\n {4}\| where DnsQuery has_any \(iocDomains\)\n/m,
      );
      // Windows DNS names may end in the root dot and differ in case: both are normalised before the exact match.
      expect(q.query).toContain('| extend QueryName = tolower(trim_end(@"\\.", DnsQuery))');
      expect(q.query).toMatch(/QueryName == IocDomain or QueryName endswith strcat\("\.", IocDomain\)/);
      expect(q.query).toMatch(/\n {4}by IocType, MatchedIoc, SrcIpAddr, SrcHostname, DnsServer, AskedByDnsServer\n/);
      expect(q.id).toMatch(/^threatfox-win-netsupportmanager-rat-[0-9a-f]{6}-asimdnsactivitylogs$/);
      expect(q.id).not.toBe(qs.DnsEvents.id);
      expect(q.name).toBe('NetSupportManager RAT C2 and payload domains and URLs in ASimDnsActivityLogs (ThreatFox)');
      expect(kqlDiagnostics(q.query)).toEqual([]);
    });

    test('requires the AMA connector and table, and maps entities to result columns', () => {
      const q = asim(SEED_000);
      expect(q.requiredTables).toEqual(['ASimDnsActivityLogs']);
      expect(q.requiredDataConnectors).toEqual([
        { connectorId: 'ASimDnsActivityLogs', dataTypes: ['ASimDnsActivityLogs'] },
      ]);
      expect(q.entityMappings.map((m) => m.entityType)).toEqual(['IP', 'Host', 'DNS']);
      // Every mapped column is an output of the summarize, not an input column that the summarize drops.
      const summarize = q.query.slice(q.query.indexOf('| summarize'));
      for (const m of q.entityMappings) for (const f of m.fieldMappings) expect(summarize).toContain(f.columnName);
    });

    test('reads only columns of the real table and is not fooled by a column of the legacy table', () => {
      const q = asim(SEED_000);
      const schema = TABLE_SCHEMAS.ASimDnsActivityLogs;
      for (const col of [
        'DnsQuery',
        'SrcIpAddr',
        'SrcHostname',
        'DvcFQDN',
        'DvcHostname',
        'Dvc',
        'DvcIpAddr',
        'DnsQueryTypeName',
        'DnsResponseName',
        'EventResultDetails',
        'EventCount',
      ]) {
        expect({ col, type: schema[col] }).toEqual({ col, type: col === 'EventCount' ? 'int' : 'string' });
        expect(q.query).toContain(col);
      }
      // The same query text over DnsEvents's columns would not bind: the checker really uses this table's schema.
      expect(kqlDiagnostics(q.query.replace(/= ASimDnsActivityLogs$/m, '= DnsEvents')).length).toBeGreaterThan(0);
      expect(q.query).not.toMatch(/\b(ClientIP|Computer|SubType|IPAddresses)\b/);
    });

    test('is byte-identical for the same IOC set in any order', () => {
      const a = inlineOnly(buildInlineQueries(MIXED)).filter((q) => q.table === 'ASimDnsActivityLogs');
      const b = buildInlineQueries(shuffled([...MIXED, ...MIXED], 7)).filter((q) => q.table === 'ASimDnsActivityLogs');
      expect(a.map((q) => q.query)).toEqual(b.map((q) => q.query));
      expect(a.map((q) => q.family)).toEqual(['js.clearfake', 'win.netsupportmanager_rat']);
    });

    test("false-positive guidance speaks of this table's columns, including the server's own recursion", () => {
      const q = asim(SEED_000);
      const scenarios = q.falsePositives.map((f) => f.scenario);
      expect(scenarios).toEqual([
        'Sinkholed or parked domain',
        'Security tooling resolving or fetching IOCs',
        'Compromised legitimate website',
        'Recursive lookups by the DNS server itself',
        'Lookup that failed or was refused',
      ]);
      const text = q.falsePositives.map((f) => f.guidance).join(' ');
      expect(text).not.toMatch(/\b(ClientIP|ResolvedAddresses|Computer)\b/);
      expect(text).toMatch(/AskedByDnsServer true/);
      expect(text).toMatch(/ResultDetails NXDOMAIN/);
      expect(q.description).toMatch(
        /a lookup alone does not prove a connection\. Triage: The asking host is SrcIpAddr/,
      );
      // The legacy DnsEvents guidance is unchanged by the new table's rules.
      expect(
        byTable(buildInlineQueries(SEED_000))
          .DnsEvents.falsePositives.map((f) => f.scenario)
          .filter((s) => s !== 'DNS answer pointing at a shared address'),
      ).toEqual(scenarios.slice(0, 3));
    });
  });

  test('false-positive guidance names the columns of its own table and the family only where it applies', () => {
    const remcos = MIXED.filter((i) => i.type === 'domain' || i.type === 'url').map((i) => ({
      ...i,
      malware: 'win.remcos',
      malwarePrintable: 'Remcos',
    }));
    const qs = byTable(buildInlineQueries(remcos));
    for (const q of Object.values(qs))
      for (const fp of q.falsePositives) expect(fp.guidance).not.toMatch(/NetSupport|client32/);
    const sinkhole = (t: string) =>
      qs[t].falsePositives.find((f) => f.scenario === 'Sinkholed or parked domain')!.guidance;
    expect(sinkhole('DnsEvents')).toMatch(/investigate ClientIP.*Check ResolvedAddresses/);
    expect(sinkhole('ASimDnsActivityLogs')).toMatch(/investigate SrcIpAddr.*Check DnsResponses/);
    expect(sinkhole('CommonSecurityLog')).toMatch(/investigate SourceIP.*Check DestinationIP/);
    expect(sinkhole('DeviceNetworkEvents')).toMatch(/investigate DeviceName.*Check RemoteIP/);
    // A CamelCase column a text names is in the query (a result column) or, for a pivot, in another hunted table.
    const pivotColumns = new Set(Object.values(TABLE_SCHEMAS).flatMap((t) => Object.keys(t)));
    const names = [
      'NetSupport',
      'WordPress',
      'PowerShell',
      'ThreatFox',
      'ClearFake',
      'SmartApeSG',
      'SocGholish',
      ...Object.keys(TABLE_SCHEMAS),
    ];
    for (const q of Object.values(qs)) {
      const texts = [q.description, ...q.falsePositives.map((f) => f.guidance)].join(' ');
      for (const word of texts.match(/\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b/g) ?? []) {
        if (names.includes(word)) continue;
        expect({ word, found: q.query.includes(word) || pivotColumns.has(word) }).toEqual({ word, found: true });
      }
    }
  });
});
