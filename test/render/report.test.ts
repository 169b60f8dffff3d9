import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../../lib/render/report';
import { parseInputDocument } from '../../lib/input';
import { buildInlineQueries } from '../../lib/kql/inlineQueries';
import { hostileIocs, MIXED, SEED_000, SEED_001 } from '../kql/fixtures';
import type { Ioc } from '../../lib/ioc/types';

describe('renderReport', () => {
  test('seed 000: summary, defanged IOC table, queries and data sources', () => {
    const report = renderReport(SEED_000, buildInlineQueries(SEED_000), {
      generatedAt: new Date('2026-06-20T12:00:00Z'),
    });
    expect(report).toMatch(/^# ThreatFox IOCs and Sentinel hunting queries: NetSupportManager RAT\n/);
    expect(report).toContain('2026-06-20T12:00:00Z');
    expect(report).toContain('| IOCs | 12: 2 IPs, 7 domains, 3 URLs |');
    expect(report).toContain('T1219');
    expect(report).toContain('| ipv4 | 172\\[.\\]93\\[.\\]185\\[.\\]254:80 | payload\\_delivery | 2026-06-20 |');
    expect(report).toContain('| url | hxxps://beroniw\\[.\\]com/hwkOP5 |');
    expect(report).toContain('hunting-queries/threatfox-win-netsupportmanager-rat-');
    expect(report).toMatch(/\| DnsEvents \| DNS \| 1 \|/);
    expect(report).toMatch(/\| ASimDnsActivityLogs \| ASimDnsActivityLogs \| 1 \|/);
    expect(report).toContain('; ASimDnsActivityLogs (ASimDnsActivityLogs); 9 IOCs;');
    expect(report).toContain('- **Recursive lookups by the DNS server itself** (ASimDnsActivityLogs).');
    expect(report).toContain('client32.ini');
    // No live value anywhere: not in the table, not in an inlined query.
    for (const ioc of SEED_000) {
      if (ioc.type === 'domain' || ioc.type === 'url' || ioc.type === 'ipv4') expect(report).not.toContain(ioc.value);
    }
    expect(report).not.toMatch(/https?:\/\/(?!threatfox\.abuse\.ch|malpedia\.caad\.fkie\.fraunhofer\.de)/);
  });

  test('several families each get a section; the report is deterministic', () => {
    const a = renderReport(MIXED, buildInlineQueries(MIXED));
    expect(a).toContain('## NetSupportManager RAT');
    expect(a).toContain('## ClearFake');
    expect(a).toContain('## Unattributed');
    expect(renderReport([...MIXED].reverse(), buildInlineQueries(MIXED))).toBe(a);
    expect(renderReport(SEED_001, buildInlineQueries(SEED_001))).toContain('| Confidence | 75% to 99% |');
  });

  test('hostile values cannot add markup, links or table cells', () => {
    const iocs = hostileIocs().filter((i) => i.type !== 'sha256');
    const report = renderReport(iocs, buildInlineQueries(iocs));
    const tableRows = report.split('\n').filter((l) => /^\| (domain|url|ipv4|ipv6) \|/.test(l));
    expect(tableRows).toHaveLength(iocs.length);
    const header = report.split('\n').find((l) => l.startsWith('| Type | Value (defanged) |'))!;
    const cells = (row: string) => row.split(/(?<!\\)\|/).length;
    for (const row of tableRows) expect(cells(row)).toBe(cells(header));
    expect(report).not.toContain('<script>');
    expect(report).not.toMatch(/(?<!\\)\](?=\(http:\/\/evil)/);
    expect(report).not.toMatch(/[\u0000\u2028]/);
  });

  test('a Last seen column only when ThreatFox gave one; T1219 under its current ATT&CK name', () => {
    const without = renderReport(SEED_000, buildInlineQueries(SEED_000));
    expect(without).toContain('| Type | Value (defanged) | Threat type | First seen | Confidence | ThreatFox |');
    expect(without).toContain('T1219 Remote Access Tools');
    const withLast = SEED_000.map((i, n) => (n === 0 ? { ...i, lastSeen: '2026-06-21T10:00:00Z' } : i));
    const report = renderReport(withLast, buildInlineQueries(withLast));
    expect(report).toContain(
      '| Type | Value (defanged) | Threat type | First seen | Last seen | Confidence | ThreatFox |',
    );
    expect(report).toContain('| domain | node54group\\[.\\]com | botnet\\_cc | 2026-06-20 | 2026-06-21 | 100% |');
  });

  test("the family ATT&CK row is the union of its queries' tags (hash and network IOCs without threat types)", () => {
    const iocs = MIXED.filter((i) => i.type !== 'url').map(({ threatType: _t, ...i }) => ({
      ...i,
      malware: 'win.remcos',
      malwarePrintable: 'Remcos',
    }));
    const report = renderReport(iocs, buildInlineQueries(iocs));
    expect(report).toContain('| ATT&CK | Execution, CommandAndControl; T1071, T1204 |');
  });
});

describe('renderReport: provenance, dry run and expiry', () => {
  const pasted: Ioc[] = [
    { type: 'domain', value: 'evil-c2.com', malware: 'win.netsupportmanager_rat', origin: 'manual' },
    { type: 'ipv4', value: '91.92.34.228', port: 443, malware: 'win.netsupportmanager_rat', origin: 'manual' },
  ];

  it('says a pasted list was submitted by hand, not by ThreatFox', () => {
    const report = renderReport(pasted, buildInlineQueries(pasted));
    expect(report).toContain('from a list of IOCs submitted by hand (not published by ThreatFox)');
    expect(report).toContain('This run holds 2 IOCs submitted by hand (not published by ThreatFox)');
    expect(report).not.toContain('from abuse.ch ThreatFox:');
    expect(report).not.toMatch(/\d+ ThreatFox IOCs?/);
    expect(report).toContain('| no (submitted by hand) |');
  });

  it('says whether the run was a dry run, and what already-expired indicators mean for the TI map rules and the lookback', () => {
    const dry = renderReport(SEED_000, buildInlineQueries(SEED_000), {
      dryRun: true,
      indicators: { planned: 12, expired: 12 },
      ttlDays: 30,
    });
    expect(dry).toContain('**Dry run:** nothing was written to Sentinel');
    expect(dry).toMatch(
      /\*\*Expired indicators:\*\* all 12 indicators are already past their validity \(last or first seen \+ INDICATOR_TTL_DAYS, 30 days\)/,
    );
    expect(dry).toMatch(/TI map analytics rules match only active indicators/);
    expect(dry).toMatch(/still hunt an expired indicator over its own period/);
    expect(dry).toContain('the last HUNTING_LOOKBACK, 14d by default');
    const written = renderReport(SEED_000, buildInlineQueries(SEED_000), {
      dryRun: false,
      indicators: { planned: 12, expired: 0 },
    });
    expect(written).toContain('**Written to Sentinel:**');
    expect(written).not.toContain('Expired indicators');
  });
});

describe('renderReport: the sample feed reads in minutes', () => {
  const sample = parseInputDocument(
    readFileSync(join(__dirname, '..', '..', 'examples', 'threatfox-netsupport.json'), 'utf8'),
  ).iocs;
  const queries = buildInlineQueries(sample);
  const report = renderReport(sample, queries, {
    dryRun: true,
    indicators: { planned: 21, expired: 21 },
    ttlDays: 30,
    savedSearches: 19,
  });
  const lines = report.split('\n');

  it('is under 180 lines and keeps the top half whole', () => {
    expect(sample).toHaveLength(21);
    expect(lines.length).toBeLessThan(180);
    for (const kept of [
      '**Dry run:**',
      '**Expired indicators:**',
      '| Malware family |',
      '### IOCs',
      '## Data the queries need',
    ])
      expect(report).toContain(kept);
    expect(lines.filter((l) => /^\| (domain|url|ipv4) \|/.test(l))).toHaveLength(21);
  });

  it('says each false-positive note once, and each query names the notes that apply to it', () => {
    const scenarios = [...new Set(queries.flatMap((q) => q.falsePositives.map((f) => f.scenario)))];
    for (const scenario of scenarios) {
      const bullets = lines.filter((l) => l.startsWith(`- **${scenario.replace(/_/g, '\\_')}**`));
      expect(bullets).toHaveLength(1);
    }
    // Guidance that names columns is said once for all its tables, with each table's column.
    const sinkhole = lines.find((l) => l.startsWith('- **Sinkholed or parked domain**'))!;
    expect(sinkhole).toContain('investigate SourceIP, DeviceName, ClientIP or SrcIpAddr (by table)');
    const dns = queries.find((q) => q.table === 'DnsEvents')!;
    const dnsLine = lines[lines.indexOf(`#### ${dns.name}`) + 2];
    expect(dnsLine).toMatch(
      /False positives \(see False positives and triage\): DNS answer pointing at a shared address; Sinkholed/,
    );
  });

  it('gives a type the name the summary gives it (md5, not md5_hash)', () => {
    const hashes: Ioc[] = [
      { type: 'md5', value: 'a'.repeat(32), malware: 'win.netsupportmanager_rat' },
      { type: 'sha256', value: 'b'.repeat(64), malware: 'win.netsupportmanager_rat' },
    ];
    const text = renderReport(hashes, buildInlineQueries(hashes));
    expect(text).toMatch(/^\| md5 \| a{32} \|/m);
    expect(text).toMatch(/^\| sha256 \| b{64} \|/m);
    expect(text).not.toMatch(/_hash/);
  });
});

describe('report lifecycle section', () => {
  it('says what the lifecycle step did: reconcile counts and the hunting queries removed per family', () => {
    const text = renderReport([], [], {
      lifecycle: {
        reconcile: { confirmed: 480, revoked: 3, lookupFailed: 2, notChecked: 15, failed: 0 },
        huntingQueriesRemoved: { 'win.x': 15 },
      },
    });
    expect(text).toContain('## Lifecycle');
    expect(text).toContain('480 confirmed, 3 revoked (withdrawn by ThreatFox), 2 look-ups failed');
    expect(text).toContain('- hunting queries removed for win.x: 15');
    expect(renderReport([], [], {})).not.toContain('## Lifecycle');
  });
});
