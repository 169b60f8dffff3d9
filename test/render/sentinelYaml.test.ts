// `yaml` is present as a transitive dependency; it is used here only to prove our YAML parses.
import { parse } from 'yaml';
import { createHash } from 'crypto';
import { type HuntingQuery } from '../../lib/kql/huntingQuery';
import { buildInlineQueries } from '../../lib/kql/inlineQueries';
import { buildThreatIntelQueries, familiesOf } from '../../lib/kql/threatIntelQueries';
import { huntingQueryGuid, queryVersion, renderHuntingYaml, TEMPLATE_REVISION } from '../../lib/render/sentinelYaml';
import { hostileIocs, MIXED, SEED_000, SEED_001 } from '../kql/fixtures';

/** The template revision and the digest of the templates' text it was recorded with. */
const TEMPLATES = { revision: 2, digest: '89f3b9a33efb3d1b' };

describe('renderHuntingYaml', () => {
  test('writes the Azure-Sentinel hunting query fields, and parses back to the same values', () => {
    for (const q of buildInlineQueries(MIXED)) {
      const doc = parse(renderHuntingYaml(q));
      expect(doc.id).toBe(huntingQueryGuid(q.id));
      expect(doc.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(doc.name).toBe(q.name);
      expect(doc.description.trimEnd()).toBe(q.description);
      expect(doc.requiredDataConnectors).toEqual(q.requiredDataConnectors);
      expect(doc.tactics).toEqual(q.tactics);
      expect(doc.relevantTechniques).toEqual(q.techniques);
      expect(doc.query.trimEnd()).toBe(q.query);
      expect(doc.entityMappings.length).toBeGreaterThan(0);
      expect(doc.version).toMatch(/^1\.2\.\d+$/);
      expect(doc.metadata).toEqual({
        source: { kind: 'Community' },
        author: { name: 'threatfox-sentinel-sync' },
        support: { tier: 'Community' },
        categories: { domains: ['Security - Threat Intelligence'] },
      });
      const identifiers: Record<string, string[]> = {
        IP: ['Address'],
        Host: ['FullName'],
        Account: ['FullName', 'Name', 'NTDomain'],
        URL: ['Url'],
        DNS: ['DomainName'],
        FileHash: ['Algorithm', 'Value'],
        File: ['Name', 'Directory'],
        Process: ['ProcessId', 'CommandLine'],
      };
      for (const m of doc.entityMappings) {
        for (const f of m.fieldMappings) expect(identifiers[m.entityType]).toContain(f.identifier);
      }
      for (const m of doc.entityMappings) {
        for (const f of m.fieldMappings) expect(q.query).toContain(f.columnName);
      }
    }
  });

  test('hostile names and values survive the round trip', () => {
    for (const q of buildInlineQueries(hostileIocs().map((i) => ({ ...i, malware: 'win.other' })))) {
      const doc = parse(renderHuntingYaml(q));
      expect(doc.name).toBe(q.name);
      expect(doc.query.trimEnd()).toBe(q.query);
    }
  });

  test('the version never goes down: the template revision, then the day of the newest IOC in the query', () => {
    const version = (q: HuntingQuery) => String(parse(renderHuntingYaml(q)).version);
    const [older] = buildInlineQueries(SEED_001);
    const [newer] = buildInlineQueries([...SEED_001, ...SEED_000]);
    expect(older.table).toBe(newer.table);
    // SEED_001 was first seen 2026-05-27, SEED_000 up to 2026-06-20: days since 2020-01-01.
    expect(version(older)).toBe('1.2.2338');
    expect(version(newer)).toBe('1.2.2362');
    expect(queryVersion({})).toBe(`1.${TEMPLATE_REVISION}.0`);
    // The same IOCs in any order: the same version.
    expect(version(buildInlineQueries([...SEED_000, ...SEED_001].reverse())[0])).toBe(version(newer));
  });

  test('TEMPLATE_REVISION is raised with every change to the query templates', () => {
    // A digest of what the templates write for fixed input. When it changes, raise TEMPLATE_REVISION
    // in lib/render/sentinelYaml.ts and record both here: the YAML version must go up with it.
    const text = [
      ...buildInlineQueries(MIXED),
      ...buildThreatIntelQueries(familiesOf(MIXED), { indicatorSource: 'ThreatFox' }),
    ]
      .map((q) => q.query)
      .join('\n');
    expect({
      revision: TEMPLATE_REVISION,
      digest: createHash('sha256').update(text).digest('hex').slice(0, 16),
    }).toEqual(TEMPLATES);
  });

  test('maps the matched IOC on every table: URL, DNS, IP or file hash, and the recipient for EmailUrlInfo', () => {
    const qs = [
      ...buildInlineQueries(MIXED),
      ...buildThreatIntelQueries(familiesOf(MIXED), { indicatorSource: 'ThreatFox' }),
    ];
    const kinds = { IocUrl: 'URL', IocDomain: 'DNS', IocIp: 'IP' } as const;
    for (const q of qs.filter((x) => x.form !== 'behaviour')) {
      const doc = parse(renderHuntingYaml(q));
      const mapped = (doc.entityMappings as { entityType: string; fieldMappings: { columnName: string }[] }[]).flatMap(
        (m) => m.fieldMappings.map((f) => [m.entityType, f.columnName]),
      );
      const iocColumns = mapped.filter(([, c]) => c in kinds || c === 'MatchedIoc' || c === 'FileHash');
      expect({ id: q.id, form: q.form, mapsIoc: iocColumns.length > 0 }).toEqual({
        id: q.id,
        form: q.form,
        mapsIoc: true,
      });
      for (const [type, column] of mapped) {
        if (column in kinds) expect(type).toBe(kinds[column as keyof typeof kinds]);
        // Every mapped column is a column of the result.
        expect({ id: q.id, column, inQuery: new RegExp(`\\b${column}\\b`).test(q.query) }).toEqual({
          id: q.id,
          column,
          inQuery: true,
        });
      }
      if (q.table === 'EmailUrlInfo') expect(mapped).toContainEqual(['Account', 'RecipientEmailAddress']);
    }
  });

  test('the GUID is stable per query id', () => {
    expect(huntingQueryGuid('a')).toBe(huntingQueryGuid('a'));
    expect(huntingQueryGuid('a')).not.toBe(huntingQueryGuid('b'));
  });
});
