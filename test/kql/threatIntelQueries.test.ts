import { parseAllowlist } from '../../lib/ioc/benign';
import type { Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';
import { loadSettings } from '../../lib/config';
import { type HuntingQuery } from '../../lib/kql/huntingQuery';
import { buildInlineQueries, heavilySplit } from '../../lib/kql/inlineQueries';
import { TABLE_HUNTS, tableHunt } from '../../lib/kql/tableHunts';
import { buildThreatIntelQueries, familiesOf } from '../../lib/kql/threatIntelQueries';
import { kqlString } from '../../lib/kql/literal';
import { huntValues, ipForms } from '../../lib/kql/huntValues';
import { savedSearchesFor } from '../../lib/sentinel/publish';
import { kqlDiagnostics, kqlDiagnosticsBySchema } from '../support/kusto';
import { hostileIocs, manyIocs, MIXED, SEED_000 } from './fixtures';

const NSM = 'win.netsupportmanager_rat';
const nsm = { malware: NSM, malwarePrintable: 'NetSupportManager RAT', threatType: 'botnet_cc' };
const SENTINEL = { source: 'ThreatFox', huntingLookback: '14d' };

/** Every `let name = dynamic([...]);` list and `dynamic({...})` bag of a query, parsed as JSON. */
function lets(query: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of query.matchAll(/^let (\w+) = dynamic\(([[{].*[\]}])\);$/gm)) out[m[1]] = JSON.parse(m[2]);
  return out;
}

const iocHunts = (qs: HuntingQuery[]) => qs.filter((q) => q.form !== 'behaviour');

describe('the ThreatIntelIndicators form (what Sentinel gets)', () => {
  test('one saved search per family and table, however many IOCs: 20 and 1,000 give the same searches, byte for byte', () => {
    const twenty = savedSearchesFor(manyIocs(20), SENTINEL);
    const thousand = savedSearchesFor(manyIocs(1000), SENTINEL);
    expect(thousand.length).toBe(twenty.length);
    expect(thousand).toEqual(twenty);
    expect(iocHunts(thousand).map((q) => q.table)).toEqual(TABLE_HUNTS.map((h) => h.table));
    expect(new Set(thousand.map((q) => q.id)).size).toBe(thousand.length);
    for (const q of thousand) expect(q.part).toBeUndefined();
    // The inline export of the same 1,000 IOCs is split; the saved searches are not.
    expect(buildInlineQueries(manyIocs(1000)).length).toBeGreaterThan(thousand.length);
  });

  test('reads our indicators: family label, source as a narrowing only, latest row per Id, not deleted or revoked, expired ones too', () => {
    const [q] = buildThreatIntelQueries([{ id: NSM, name: 'NetSupportManager RAT' }], { indicatorSource: 'ThreatFox' });
    expect(q.form).toBe('threatIntel');
    expect(q.query).toContain('ThreatIntelIndicators');
    // Selected by the label we write; the source narrows only when the table maps it (SourceSystem or Source).
    expect(q.query).toContain('| where set_has_element(Data.labels, "malware:win.netsupportmanager_rat")');
    expect(q.query).toContain('FromOurSource = SourceSystem == "ThreatFox" or IndicatorSource == "ThreatFox"');
    expect(q.query).toContain('IndicatorSource = tostring(column_ifexists("Source", ""))');
    expect(q.query).toContain('| where FromOurSource or not(sourceMapped)');
    expect(q.query).not.toMatch(/^\s*\| where SourceSystem ==/m);
    expect(q.query).toContain('| summarize arg_max(TimeGenerated, *) by Id');
    expect(q.query).toContain('| where not(coalesce(IsDeleted, false)) and not(coalesce(Revoked, false))');
    // Expired indicators are kept: no IsActive, no ValidUntil > now().
    expect(q.query).not.toMatch(/IsActive|> now\(\)/);
    expect(q.query).toMatch(/split\(ObservableKey, ":"\)/);
    expect(q.query).toContain('ObservableValue');
    expect(q.query).not.toMatch(/toupper\(ObservableValue\)/);
    // An event matches an indicator that had not expired when it happened; no clip at ValidFrom.
    expect(q.query).toContain('| lookup kind=inner iocValidity on MatchedIoc\n| where TimeGenerated <= IocExpires\n');
    expect(q.query).toContain(
      'Expires = coalesce(ValidUntil, column_ifexists("ExpirationDateTime", datetime(null)), datetime(9999-12-31))',
    );
    expect(q.query).not.toMatch(/ValidFrom/);
    expect(q.requiredTables).toEqual([q.table, 'ThreatIntelIndicators']);
    expect(q.requiredDataConnectors).toContainEqual({
      connectorId: 'ThreatIntelligence',
      dataTypes: ['ThreatIntelIndicators'],
    });
  });

  test('every query is valid KQL against the real schemas, ThreatIntelIndicators and the ASIM parsers included, whatever the family id and source', () => {
    const families = [
      { id: NSM, name: 'NetSupportManager RAT' },
      { id: 'win.evil"]); union * //', name: 'Evil\n| take 1' },
    ];
    const qs = buildThreatIntelQueries(families, { indicatorSource: 'Threat"Fox\\\n', lookback: '30d' });
    for (const q of qs)
      expect({ id: q.id, errors: kqlDiagnosticsBySchema(q.query) }).toEqual({
        id: q.id,
        errors: { reference: [], validation: [] },
      });
    const evil = qs.find((q) => q.family === families[1].id)!;
    expect(evil.query).toContain(kqlString(`malware:${families[1].id}`));
    expect(evil.query).toContain(`SourceSystem == ${kqlString('Threat"Fox\\\n')}`);
  });

  test('ASIM parsers are called with their pre-filter parameters, and a wrong parameter would fail the check', () => {
    const qs = buildThreatIntelQueries([{ id: NSM, name: 'N' }], { indicatorSource: 'ThreatFox' });
    const of = (t: string) => qs.find((q) => q.table === t)!.query;
    expect(of('_Im_Dns')).toContain(
      '_Im_Dns(starttime = starttime, endtime = endtime, domain_has_any = iff(array_length(iocDomains) > 10000, dynamic([]), iocDomains))',
    );
    expect(of('_Im_NetworkSession')).toContain(
      '_Im_NetworkSession(starttime = starttime, endtime = endtime, ipaddr_has_any_prefix = iff(array_length(iocIpForms) > 10000, dynamic([]), iocIpForms))',
    );
    expect(of('_Im_WebSession')).toContain(
      '_Im_WebSession(starttime = starttime, endtime = endtime, url_has_any = iff(array_length(iocHosts) > 10000, dynamic([]), iocHosts))',
    );
    expect(kqlDiagnostics(of('_Im_Dns').replace('domain_has_any', 'domain_has_all')).length).toBeGreaterThan(0);
    expect(
      kqlDiagnostics(of('EmailUrlInfo').replace('UrlDomain has_any', 'UrlDomains has_any')).length,
    ).toBeGreaterThan(0);
  });

  test('tactics and techniques come from the family and the table, not from the IOCs', () => {
    const a = savedSearchesFor(SEED_000, SENTINEL);
    const b = savedSearchesFor(
      SEED_000.map((i) => ({ ...i, threatType: 'botnet_cc' })),
      SENTINEL,
    );
    expect(b.map((q) => [q.tactics, q.techniques])).toEqual(a.map((q) => [q.tactics, q.techniques]));
    for (const q of a) expect(q.techniques).toContain('T1219');
  });
});

describe('coverage: each IOC type reaches each table listed', () => {
  const ioc = (type: Ioc['type'], value: string): Ioc => withHuntedHost({ type, value, ...nsm });
  const CASES: [string, Ioc, Record<string, string[]>][] = [
    ['ipv4', ioc('ipv4', '203.0.113.9'), {}],
    ['ipv6', ioc('ipv6', '2001:db8::5'), {}],
    ['domain', ioc('domain', 'evil-c2.example'), {}],
    ['url', ioc('url', 'https://drop.example/payload.js'), {}],
    ['url on a bare IP', ioc('url', 'http://198.51.100.4/x.exe'), {}],
    ['sha256', ioc('sha256', 'a'.repeat(64)), {}],
  ];
  const EXPECTED: Record<string, string[]> = {
    ipv4: ['CommonSecurityLog', 'DeviceNetworkEvents', 'DnsEvents', '_Im_NetworkSession', 'DeviceFileEvents'],
    ipv6: ['CommonSecurityLog', 'DeviceNetworkEvents', 'DnsEvents', '_Im_NetworkSession', 'DeviceFileEvents'],
    domain: [
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
    ],
    url: [
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
    ],
    'url on a bare IP': [
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'DnsEvents',
      '_Im_NetworkSession',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
    ],
    sha256: ['DeviceFileEvents', 'DeviceProcessEvents'],
  };

  test.each(CASES)(
    '%s (inline form): in the lists of exactly the expected tables, and every query is valid',
    (name, one) => {
      const qs = iocHunts(buildInlineQueries([one]));
      expect(qs.map((q) => q.table)).toEqual(EXPECTED[name]);
      for (const q of qs) {
        // A URL is in the URL list where the table matches URLs, and its host where it matches domains or IPs only.
        const needle = one.type === 'url' && !tableHunt(q.table)!.kinds.includes('url') ? one.huntedHost! : one.value;
        expect(q.query).toContain(kqlString(needle));
        expect({ table: q.table, errors: kqlDiagnostics(q.query) }).toEqual({ table: q.table, errors: [] });
      }
    },
  );

  test('a URL host is hunted as a domain (DNS and web tables) and a bare-IP URL as an IP', () => {
    const qs = Object.fromEntries(
      iocHunts(
        buildInlineQueries([ioc('url', 'https://drop.example/payload.js'), ioc('url', 'http://198.51.100.4/x.exe')]),
      ).map((q) => [q.table, q]),
    );
    expect(lets(qs.DnsEvents.query).iocDomains).toEqual(['drop.example']);
    expect(lets(qs.DeviceNetworkEvents.query).iocDomains).toEqual(['drop.example']);
    expect(lets(qs.EmailUrlInfo.query).iocDomains).toEqual(['drop.example']);
    expect(Object.values(lets(qs.CommonSecurityLog.query).iocIpByForm as object)).toContain('198.51.100.4');
    expect(Object.values(lets(qs._Im_NetworkSession.query).iocIpByForm as object)).toContain('198.51.100.4');
    // CommonSecurityLog reads the host from RequestURL too, and completes a path-only RequestURL with the host.
    expect(qs.CommonSecurityLog.query).toContain('DestinationHost == IocDomain');
    expect(qs.CommonSecurityLog.query).toContain('UrlHost == IocDomain');
    expect(qs.CommonSecurityLog.query).toContain(
      'iff(RequestURL startswith "/", strcat(DestinationHost, RequestURL), RequestURL)',
    );
    // UrlClickEvents checks the redirect chain; EmailUrlInfo both Url and UrlDomain.
    expect(qs.UrlClickEvents.query).toContain('UrlChain has_any (iocHosts)');
    expect(qs.EmailUrlInfo.query).toContain('UrlDomain has_any (iocHosts)');
    expect(qs.DeviceFileEvents.query).toContain('FileOriginUrl has_any (iocHosts)');
    expect(qs.DeviceFileEvents.query).toContain('FileOriginIP in~ (iocIpForms)');
    expect(qs.DnsEvents.query).toContain('IPAddresses has_any (iocIpForms)');
  });

  test('a payload on well-known infrastructure stays a URL hunt: the site is never hunted as a domain', () => {
    const gh = ioc('url', 'https://raw.githubusercontent.com/actor/repo/main/client32.zip');
    expect(gh.huntedHost).toBeUndefined();
    const qs = iocHunts(buildInlineQueries([gh]));
    for (const q of qs) expect(lets(q.query).iocDomains ?? []).toEqual([]);
    expect(qs.map((q) => q.table)).toEqual([
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      '_Im_WebSession',
      'UrlClickEvents',
      'EmailUrlInfo',
      'DeviceFileEvents',
    ]);
    // It pre-filters on its own host and path, never on the host alone.
    for (const q of qs) expect(lets(q.query).iocHosts ?? []).not.toContain('raw.githubusercontent.com');
    expect(lets(qs[0].query).iocHosts).toEqual(['raw.githubusercontent.com/actor/repo/main/client32.zip']);
  });

  test('a host the tenant allow-listed (BENIGN_ALLOWLIST) stays a URL hunt: never hunted as a domain or IP', () => {
    const urls = ['https://files.partner.example/drop/client32.zip', 'http://203.0.113.7/client32.zip'];
    const [onDomain, onIp] = urls.map((url) => ioc('url', url));
    const hunted = (qs: HuntingQuery[]) => ({
      domains: [...new Set(qs.flatMap((q) => (lets(q.query).iocDomains as string[] | undefined) ?? []))],
      ips: [...new Set(qs.flatMap((q) => Object.values((lets(q.query).iocIpByForm as object | undefined) ?? {})))],
      urls: [...new Set(qs.flatMap((q) => (lets(q.query).iocUrls as string[] | undefined) ?? []))],
    });
    // Without the allow-list both hosts are hunted on their own.
    expect(hunted(iocHunts(buildInlineQueries([onDomain, onIp])))).toMatchObject({
      domains: ['files.partner.example'],
      ips: ['203.0.113.7'],
    });
    // Normalised with the allow-list, neither carries a hunted host.
    const allow = parseAllowlist('partner.example, 203.0.113.0/24').allowlist;
    const allowed = urls.map((url) => withHuntedHost({ type: 'url' as const, value: url, ...nsm }, allow));
    expect(allowed.map((i) => i.huntedHost)).toEqual([undefined, undefined]);
    const qs = iocHunts(buildInlineQueries(allowed));
    expect(hunted(qs)).toEqual({ domains: [], ips: [], urls: [...urls].sort() });
    // The DNS tables hunt hosts only: with both hosts allow-listed they get no query at all.
    expect(qs.map((q) => q.table)).not.toContain('DnsEvents');
    expect(huntValues(allowed)).toMatchObject({ domains: [], ips: new Map() });
  });

  test('the ThreatIntelIndicators form reads every kind a table hunts', () => {
    const qs = Object.fromEntries(
      iocHunts(buildThreatIntelQueries([{ id: NSM, name: 'N' }], { indicatorSource: 'ThreatFox' })).map((q) => [
        q.table,
        q.query,
      ]),
    );
    const reads = (table: string, ...lists: string[]) =>
      lists.forEach((l) =>
        expect({ table, l, found: qs[table].includes(`let ${l} = `) }).toEqual({ table, l, found: true }),
      );
    reads('CommonSecurityLog', 'iocIpByForm', 'iocIpPorts', 'iocDomains', 'iocUrls', 'iocHosts');
    reads('DeviceNetworkEvents', 'iocIpByForm', 'iocDomains', 'iocUrls');
    reads('DnsEvents', 'iocDomains', 'iocIpByForm');
    reads('_Im_NetworkSession', 'iocIpByForm');
    reads('_Im_WebSession', 'iocDomains', 'iocUrls');
    reads('EmailUrlInfo', 'iocDomains', 'iocUrls');
    reads('DeviceFileEvents', 'iocSha256', 'iocSha1', 'iocMd5', 'iocUrls', 'iocIpByForm');
    // The URL's hunted host comes from the indicator's hunt-host label; every URL host feeds the pre-filter.
    expect(qs.DnsEvents).toContain(`extract(@'"hunt-host:([^"]+)"', 1, tostring(Data.labels))`);
    expect(qs.CommonSecurityLog).toContain('HuntKind in ("domain", "prefilter")');
    expect(qs.CommonSecurityLog).toContain('"Value", iff(isempty(HuntHost), UrlTerm, HuntHost)');
  });
});

describe('matching details', () => {
  test('IPv6 is compared in canonical form: every logged spelling maps to the IOC, nothing is upper-cased', () => {
    expect(ipForms('2001:db8::5')).toEqual(['2001:0db8:0000:0000:0000:0000:0000:0005', '2001:db8::5']);
    expect(ipForms('91.92.34.228')).toEqual(['91.92.34.228', '::ffff:91.92.34.228']);
    const q = buildInlineQueries([{ type: 'ipv6', value: '2001:db8::5', ...nsm }]).find(
      (x) => x.table === 'DeviceNetworkEvents',
    )!;
    expect(lets(q.query).iocIpByForm).toEqual({
      '2001:0db8:0000:0000:0000:0000:0000:0005': '2001:db8::5',
      '2001:db8::5': '2001:db8::5',
    });
    expect(q.query).toContain('| where RemoteIP in~ (iocIpForms)');
    expect(q.query).toContain('MatchedIoc = tostring(iocIpByForm[tolower(RemoteIP)])');
  });

  test('one summary row per event: a URL and its domain matching the same event count once, as the URL', () => {
    for (const q of iocHunts(buildInlineQueries(SEED_000))) {
      const branches = (q.query.match(/^let \w+Hits = /gm) ?? []).length;
      if (branches > 1) {
        expect({ table: q.table, dedupe: q.query.includes('| summarize arg_min(MatchRank, *) by EventKey\n') }).toEqual(
          { table: q.table, dedupe: true },
        );
        // The key is taken from the raw row in every branch, before any column is added.
        for (const m of q.query.matchAll(/\| extend EventKey = hash\(tostring\(pack_all\(\)\)\)\n\s+\| (\w+)/g))
          expect(m[1]).not.toBe('where');
      }
    }
    const csl = buildInlineQueries(SEED_000).find((q) => q.table === 'CommonSecurityLog')!.query;
    expect(csl).toMatch(/IocType = "url", PortMatchesIoc = bool\(null\), MatchRank = 1/);
    expect(csl).toMatch(/IocType = "domain", PortMatchesIoc = bool\(null\), MatchRank = 2/);
  });

  test("the NetSupport outside-Program-Files flag reads the parent's path when the parent matched", () => {
    const q = buildInlineQueries(MIXED).find((x) => x.table === 'DeviceProcessEvents')!.query;
    expect(q).toContain('NetSupportClientOutsideProgramFiles = iff(MatchedOn == "parent process",');
    expect(q).toContain(
      'InitiatingProcessFileName =~ "client32.exe" and InitiatingProcessFolderPath !contains @":\\Program Files"',
    );
    expect(q).toContain('FileName =~ "client32.exe" and FolderPath !contains @":\\Program Files"');
    expect(kqlDiagnostics(q)).toEqual([]);
  });

  test('hunt values are derived once, the same for the inline lists and the indicator labels', () => {
    const v = huntValues(hostileIocs());
    expect(v.domains.every((d) => d === d.toLowerCase())).toBe(true);
    expect(v.hosts).toEqual(expect.arrayContaining(v.domains));
  });
});

describe('behaviour hunts', () => {
  test('exist for NetSupport only, in both outputs, the same text whatever the IOCs', () => {
    const other = [{ type: 'domain' as const, value: 'c2.example', malware: 'win.remcos', malwarePrintable: 'Remcos' }];
    for (const qs of [
      buildInlineQueries([...SEED_000, ...other]),
      savedSearchesFor([...SEED_000, ...other], SENTINEL),
    ]) {
      const behaviour = qs.filter((q) => q.form === 'behaviour');
      expect(behaviour.map((q) => q.family)).toEqual(Array(8).fill(NSM));
      expect(qs.filter((q) => q.family === 'win.remcos' && q.form === 'behaviour')).toEqual([]);
    }
    const a = buildInlineQueries(SEED_000).filter((q) => q.form === 'behaviour');
    const b = savedSearchesFor(manyIocs(300), SENTINEL).filter((q) => q.form === 'behaviour');
    expect(b).toEqual(a);
  });

  test('cover where the client runs, its name, persistence, configuration, signer, vendor domains and C2 beacon; mapped to T1219', () => {
    const qs = buildInlineQueries(SEED_000).filter((q) => q.form === 'behaviour');
    const by = Object.fromEntries(qs.map((q) => [q.id.replace(/^.*-behaviour-/, ''), q]));
    expect(Object.keys(by)).toEqual([
      'client-outside-program-files',
      'renamed-client',
      'client-persistence',
      'client-config-outside-program-files',
      'signed-client-outside-program-files',
      'vendor-domains',
      'c2-beacon-cef',
      'c2-beacon-web',
    ]);
    expect(by['client-outside-program-files'].query).toContain('FolderPath !contains @":\\Program Files"');
    const renamed = by['renamed-client'].query;
    expect(renamed).toContain('ProcessVersionInfoOriginalFileName =~ "client32.exe"');
    expect(renamed).toContain('ProcessVersionInfoProductName has "NetSupport"');
    expect(renamed).toContain('FileName !~ "client32.exe"');
    // Persistence: the Run key found by the binary's original file name as well as by its name.
    const persistence = by['client-persistence'];
    expect(persistence.query).toContain('@"\\CurrentVersion\\Run"');
    expect(persistence.query).toContain('@"\\Services\\Client32"');
    expect(persistence.query).toContain(
      'where ProcessVersionInfoOriginalFileName =~ "client32.exe" or FileName =~ "client32.exe"',
    );
    expect(persistence.query).toContain('| where tolower(RegistryValueData) contains ClientPath');
    expect(persistence.query).toContain('FoundBy = "original file name"');
    expect(persistence.requiredTables).toEqual(['DeviceRegistryEvents', 'DeviceProcessEvents']);
    expect(persistence.techniques).toEqual(expect.arrayContaining(['T1547.001', 'T1543.003']));
    expect(persistence.tactics).toEqual(expect.arrayContaining(['Persistence', 'PrivilegeEscalation']));
    // client32.ini written outside Program Files.
    const config = by['client-config-outside-program-files'];
    expect(config.table).toBe('DeviceFileEvents');
    expect(config.query).toContain('| where FileName =~ "client32.ini"');
    expect(config.query).toContain('| where FolderPath !contains @":\\Program Files"');
    // The signer, for a binary outside Program Files whatever its name.
    const signer = by['signed-client-outside-program-files'];
    expect(signer.query).toContain('| where Signer has "NetSupport"');
    expect(signer.query).toContain('| where SHA1 in (netSupportSigned | project SHA1)');
    expect(signer.requiredTables).toEqual(['DeviceFileCertificateInfo', 'DeviceProcessEvents']);
    // Both vendor domains and their subdomains, from a process that is not a browser.
    const vendor = by['vendor-domains'].query;
    expect(vendor).toContain('let vendorDomains = dynamic(["netsupportmanager.com", "netsupportsoftware.com"]);');
    expect(vendor).toContain('where RemoteHost == VendorDomain or RemoteHost endswith strcat(".", VendorDomain)');
    expect(vendor).toContain('GeoLookup = RemoteHost == "geo.netsupportsoftware.com"');
    expect(vendor).toContain('not(InitiatingProcessFileName in~ (browsers))');
    // The C2 beacon in CEF and in the ASIM web parser.
    const cef = by['c2-beacon-cef'];
    expect(cef.query).toContain('RequestClientApplication has "NetSupport Manager" or RequestURL has "fakeurl.htm"');
    expect(cef.query).toContain('FakeUrlPost = RequestURL contains "/fakeurl.htm" and RequestMethod =~ "POST"');
    expect(cef.requiredDataConnectors.map((c) => c.connectorId)).toEqual(['CefAma', 'CEF']);
    const web = by['c2-beacon-web'];
    expect(web.query).toContain('httpuseragent_has_any = dynamic(["NetSupport Manager"])');
    expect(web.query).toContain('url_has_any = dynamic(["fakeurl.htm"])');
    expect(web.query).toContain('HttpRequestMethod =~ "POST"');
    for (const q of qs) {
      expect(q.techniques).toContain('T1219');
      expect(q.tactics).toContain('CommandAndControl');
      expect(q.falsePositives.length).toBeGreaterThan(0);
      expect(q.entityMappings.length).toBeGreaterThan(0);
      expect(q.description).toMatch(/ Triage: [A-Z]/);
      expect({ id: q.id, errors: kqlDiagnostics(q.query) }).toEqual({ id: q.id, errors: [] });
      expect(q.id).toMatch(/^threatfox-win-netsupportmanager-rat-[0-9a-f]{6}-behaviour-[a-z0-9-]+$/);
      // Every mapped column is a column of the result.
      for (const m of q.entityMappings)
        for (const f of m.fieldMappings)
          expect({ id: q.id, col: f.columnName, found: q.query.includes(f.columnName) }).toEqual({
            id: q.id,
            col: f.columnName,
            found: true,
          });
    }
    expect(by['renamed-client'].techniques).toContain('T1036.003');
    expect(by['vendor-domains'].techniques).toContain('T1614');
    expect(cef.techniques).toContain('T1071.001');
  });
});

test('the CLI warning: tables of a family whose inline export needs more than a few parts', () => {
  const qs = buildInlineQueries(manyIocs(2000), { maxQueryChars: 4000 });
  const heavy = heavilySplit(qs);
  expect(heavy.length).toBeGreaterThan(0);
  for (const h of heavy) expect(h.parts).toBeGreaterThan(3);
  expect(heavilySplit(buildInlineQueries(SEED_000))).toEqual([]);
  expect(
    familiesOf(MIXED)
      .map((f) => f.id)
      .sort(),
  ).toEqual(['js.clearfake', NSM]);
});

test('HUNTING_LOOKBACK: 14d by default, validated as a plain timespan, and used by both forms', () => {
  expect(loadSettings({}).sentinel.huntingLookback).toBe('14d');
  expect(() => loadSettings({ HUNTING_LOOKBACK: '14d); DnsEvents | take 1 //' })).toThrow(
    /HUNTING_LOOKBACK must be a KQL timespan/,
  );
  const sentinel = loadSettings({ HUNTING_LOOKBACK: '30d' }).sentinel;
  for (const q of [
    ...savedSearchesFor(SEED_000, sentinel),
    ...buildInlineQueries(SEED_000, { lookback: sentinel.huntingLookback }),
  ]) {
    expect(q.query).toContain("let starttime = coalesce(todatetime('{{StartTimeISO}}'), ago(30d));");
    expect(q.description).toContain('the last 30d (HUNTING_LOOKBACK)');
  }
});
