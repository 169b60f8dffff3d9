import type { Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';
import { type HuntingQuery } from '../../lib/kql/huntingQuery';
import { buildInlineQueries, DEFAULT_MAX_QUERY_CHARS, heavilySplit, MANY_PARTS } from '../../lib/kql/inlineQueries';
import { buildThreatIntelQueries } from '../../lib/kql/threatIntelQueries';
import { renderHuntingYaml } from '../../lib/render/sentinelYaml';
import { urlKeyExpr } from '../../lib/kql/queries/match';
import { MAX_HAS_ANY } from '../../lib/kql/source';
import { kqlDiagnostics } from '../support/kusto';
import { manyIocs, SEED_000 } from './fixtures';

/**
 * The matching rules docs/hunting.md states, pinned on the generated text: time range, expiry,
 * both ThreatIntelIndicators schemas, well-known hosts, URL-host labels.
 */

const NSM = 'win.netsupportmanager_rat';
const nsm = { malware: NSM, malwarePrintable: 'NetSupportManager RAT', threatType: 'payload_delivery' };
const ioc = (type: Ioc['type'], value: string, extra: Partial<Ioc> = {}): Ioc =>
  withHuntedHost({ type, value, ...nsm, ...extra });
const threatIntel = () =>
  buildThreatIntelQueries([{ id: NSM, name: 'NetSupportManager RAT' }], { indicatorSource: 'ThreatFox' });
const byTable = (qs: HuntingQuery[]) =>
  Object.fromEntries(qs.filter((q) => q.form !== 'behaviour').map((q) => [q.table, q]));

/** A `let name = dynamic(...)` value of a query, parsed. */
function letValue(query: string, name: string): unknown {
  const m = new RegExp(`^let ${name} = dynamic\\((.*)\\);$`, 'm').exec(query);
  return m ? JSON.parse(m[1]) : undefined;
}

describe('time range', () => {
  test("every query, in both forms and the behaviour hunts, searches the hunting page's range, else HUNTING_LOOKBACK", () => {
    const sets: [string, HuntingQuery[]][] = [
      ['14d', threatIntel()],
      ['21d', buildInlineQueries(SEED_000, { lookback: '21d' })],
    ];
    for (const [lookback, q] of sets.flatMap(([l, qs]) => qs.map((x) => [l, x] as const))) {
      expect(q.query).toContain(`let starttime = coalesce(todatetime('{{StartTimeISO}}'), ago(${lookback}));`);
      expect(q.query).toContain("let endtime = coalesce(todatetime('{{EndTimeISO}}'), now());");
      // No bound of its own: every event table is read over starttime .. endtime.
      expect(q.query).not.toMatch(/ago\(lookback\)|let lookback/);
      expect(q.query).toMatch(
        /TimeGenerated between \(starttime \.\. endtime\)|starttime = starttime, endtime = endtime/,
      );
      expect(q.description).toContain(`the last ${lookback} (HUNTING_LOOKBACK)`);
    }
  });

  test('outside the hunting page the placeholders are plain text and the fallback applies', () => {
    expect(kqlDiagnostics("print s = coalesce(todatetime('{{StartTimeISO}}'), ago(14d))")).toEqual([]);
  });

  test('the saved searches read indicators from before the range, so ones that have expired since still hunt', () => {
    for (const q of threatIntel().filter((x) => x.form === 'threatIntel'))
      expect(q.query).toContain('| where TimeGenerated >= starttime - indicatorLookback');
  });
});

describe('ThreatIntelIndicators schemas', () => {
  test('the two published schemas differ where the queries must not depend on them', () => {
    expect(kqlDiagnostics('ThreatIntelIndicators | where Source == "x"', 'reference')).toEqual([]);
    expect(kqlDiagnostics('ThreatIntelIndicators | where Source == "x"', 'validation')).toHaveLength(1);
    expect(kqlDiagnostics('ThreatIntelIndicators | where ExpirationDateTime > now()', 'validation')).toEqual([]);
    expect(kqlDiagnostics('ThreatIntelIndicators | where ExpirationDateTime > now()', 'reference')).toHaveLength(1);
  });

  test('columns only one schema lists are read through column_ifexists', () => {
    for (const q of threatIntel().filter((x) => x.form === 'threatIntel')) {
      expect(q.query).not.toMatch(/(?<!")\b(Source|ExpirationDateTime|NetworkIP|ThreatType)\b(?!")/);
    }
  });
});

describe('well-known hosts and has_any', () => {
  test('a URL on a well-known host pre-filters on its host and path; other URLs and domains on their host', () => {
    const qs = byTable(
      buildInlineQueries([
        ioc('url', 'https://cdn.discordapp.com/attachments/1/2/update.zip'),
        ioc('url', 'https://github.com/actor/tool/releases/download/v1/client32.zip?raw=1'),
        ioc('url', 'http://drop.example/a.js'),
        ioc('domain', 'c2.example'),
      ]),
    );
    for (const table of [
      'CommonSecurityLog',
      'DeviceNetworkEvents',
      'UrlClickEvents',
      'EmailUrlInfo',
      '_Im_WebSession',
    ]) {
      expect([table, letValue(qs[table].query, 'iocHosts')]).toEqual([
        table,
        [
          'c2.example',
          'cdn.discordapp.com/attachments/1/2/update.zip',
          'drop.example',
          'github.com/actor/tool/releases/download/v1/client32.zip',
        ],
      ]);
    }
    // The DNS tables hunt hunted domains only.
    expect(letValue(qs.DnsEvents.query, 'iocDomains')).toEqual(['c2.example', 'drop.example']);
    expect(qs.DnsEvents.query).toContain('Name has_any (iocDomains)');
  });

  test('the saved searches never let a list past the has_any limit be cut: the pre-filter is dropped instead', () => {
    expect(MAX_HAS_ANY).toBe(10_000);
    const qs = byTable(threatIntel());
    expect(qs.DeviceNetworkEvents.query).toContain('(RemoteUrl has_any (iocHosts) or array_length(iocHosts) > 10000)');
    expect(qs.DnsEvents.query).toContain('(Name has_any (iocDomains) or array_length(iocDomains) > 10000)');
  });
});

describe('hits on the host of a URL IOC', () => {
  test('are labelled url-host with their URLs; a host that is an IOC in its own right stays a domain or IP', () => {
    const qs = byTable(
      buildInlineQueries([
        ioc('url', 'https://compromised.example/wp-content/x.js'),
        ioc('url', 'https://compromised.example/wp-content/y.js'),
        ioc('url', 'http://198.51.100.9/a.exe'),
        ioc('url', 'http://c2.example/gate.php'),
        ioc('domain', 'c2.example', { threatType: 'botnet_cc' }),
      ]),
    );
    for (const table of [
      'CommonSecurityLog',
      'DnsEvents',
      'ASimDnsActivityLogs',
      '_Im_Dns',
      '_Im_NetworkSession',
      'UrlClickEvents',
    ]) {
      const q = qs[table].query;
      expect([
        table,
        q.includes('| extend IocType = iff(array_length(IocSourceUrls) > 0, "url-host", IocType)\n| extend Ioc'),
      ]).toEqual([table, true]);
    }
    expect(letValue(qs.CommonSecurityLog.query, 'iocHostSources')).toEqual({
      '198.51.100.9': ['http://198.51.100.9/a.exe'],
      'compromised.example': [
        'https://compromised.example/wp-content/x.js',
        'https://compromised.example/wp-content/y.js',
      ],
    });
    expect(qs.CommonSecurityLog.description).toContain('IocType "url-host"');
    // Hash-only hunts have no host hits.
    expect(qs.DeviceProcessEvents).toBeUndefined();
  });

  test('the saved searches derive the same from the hunt-host labels', () => {
    const q = byTable(threatIntel()).CommonSecurityLog.query;
    expect(q).toContain('| where HuntKind in ("domain", "ip") and not(OwnIoc)');
    expect(q).toContain('| extend IocSourceUrls = iocHostSources[MatchedIoc]');
  });
});

describe('URL keys', () => {
  /** urlKeyExpr's steps, applied in JavaScript (the same regular expressions): what the query compares. */
  function urlKey(url: string): string {
    const expr = urlKeyExpr('X');
    const steps = [...expr.matchAll(/@"([^"]*)", @?"([^"]*)"/g)].map(([, re, to]) => [
      re,
      to.replace(/\\(\d)/g, '$$$1'),
    ]);
    expect(steps).toHaveLength(3);
    let key = url.toLowerCase();
    for (const [re, to] of steps) key = key.replace(new RegExp(re), to);
    return key.replace(/\/+$/, '');
  }

  test('default ports are dropped on both sides of the match (http :80, https :443); other ports are kept', () => {
    expect(urlKey('HTTP://Evil.com:80/a/')).toBe('evil.com/a');
    expect(urlKey('https://evil.com:443')).toBe('evil.com');
    expect(urlKey('https://evil.com:443?q=1')).toBe('evil.com?q=1');
    expect(urlKey('https://[2001:db8::1]:443/x')).toBe('[2001:db8::1]/x');
    expect(urlKey('http://evil.com:8080/a')).toBe('evil.com:8080/a');
    expect(urlKey('https://evil.com:80/a')).toBe('evil.com:80/a');
    expect(urlKey('http://evil.com:4430/a')).toBe('evil.com:4430/a');
    const q = byTable(buildInlineQueries([ioc('url', 'https://drop.example/a.js')])).UrlClickEvents.query;
    expect(q).toContain(`extend IocKey = ${urlKeyExpr('IocUrl')}`);
    expect(q).toContain(`UrlKey = ${urlKeyExpr('ClickedUrl')}`);
  });
});

describe('export split', () => {
  test('1,000 IOCs give at most 3 parts per table, each within the saved-search bound and the has_any limit', () => {
    expect(DEFAULT_MAX_QUERY_CHARS).toBe(60_000);
    const qs = buildInlineQueries(manyIocs(1000)).filter((q) => q.form === 'inline');
    const parts = new Map<string, number>();
    for (const q of qs) {
      parts.set(q.table, (parts.get(q.table) ?? 0) + 1);
      expect(q.query.length).toBeLessThanOrEqual(DEFAULT_MAX_QUERY_CHARS);
      for (const name of ['iocHosts', 'iocDomains'])
        expect(((letValue(q.query, name) as string[] | undefined) ?? []).length).toBeLessThanOrEqual(MAX_HAS_ANY);
    }
    expect(Math.max(...parts.values())).toBeLessThanOrEqual(MANY_PARTS);
    expect(heavilySplit(qs)).toEqual([]);
    // Every IOC is still in some part of each table that hunts it.
    expect(qs.filter((q) => q.table === 'DeviceFileEvents').reduce((n, q) => n + q.iocCount!, 0)).toBe(750);
  });
});

describe('provenance (issue 21)', () => {
  test('a pasted list is called submitted by hand in names, descriptions, KQL headers and YAML, never ThreatFox data', () => {
    const pasted = SEED_000.map((i) => ({ ...i, origin: 'manual' as const }));
    for (const q of buildInlineQueries(pasted).filter((x) => x.form === 'inline')) {
      const header = q.query.split('\n').filter((l) => l.startsWith('//'));
      const yaml = renderHuntingYaml(q);
      expect(q.name).toMatch(/\(submitted by hand\)$/);
      expect(q.description).toContain('from a list submitted by hand (not published by ThreatFox)');
      expect(header.join('\n')).toContain('Generated by threatfox-sentinel-sync from a list submitted by hand');
      for (const text of [q.name, q.description, header.join('\n'), yaml])
        expect(text).not.toMatch(/\(ThreatFox\)|abuse\.ch ThreatFox|ThreatFox IOC/);
    }
    const mixed = buildInlineQueries([...SEED_000.slice(0, 2), ...pasted.slice(2)]).find((x) => x.form === 'inline')!;
    expect(mixed.name).toMatch(/\(ThreatFox and submitted by hand\)$/);
    const feed = buildInlineQueries(SEED_000).find((x) => x.form === 'inline')!;
    expect(feed.name).toMatch(/\(ThreatFox\)$/);
    expect(feed.description).toContain('from abuse.ch ThreatFox');
  });

  test('the saved searches name no single source: they read whatever the app wrote for the family', () => {
    for (const q of threatIntel().filter((x) => x.form === 'threatIntel')) {
      expect(q.name).toMatch(/ indicators in \S+ \(ThreatIntelIndicators\)$/);
      expect(q.description).toContain('published by abuse.ch ThreatFox or submitted by hand');
    }
  });
});
