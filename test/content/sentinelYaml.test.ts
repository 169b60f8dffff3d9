// `yaml` is present as a transitive dependency; it is used here only to prove our YAML parses.
import { parse } from 'yaml';
import { buildHuntingQueries } from '../../lib/kql/huntingQueries';
import { huntingQueryGuid, renderHuntingYaml } from '../../lib/content/sentinelYaml';
import { hostileIocs, MIXED } from '../kql/fixtures';

describe('renderHuntingYaml', () => {
  test('writes the Azure-Sentinel hunting query fields, and parses back to the same values', () => {
    for (const q of buildHuntingQueries(MIXED)) {
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
      expect(doc.version).toMatch(/^1\.1\.\d+$/);
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
    for (const q of buildHuntingQueries(hostileIocs().map((i) => ({ ...i, malware: 'win.other' })))) {
      const doc = parse(renderHuntingYaml(q));
      expect(doc.name).toBe(q.name);
      expect(doc.query.trimEnd()).toBe(q.query);
    }
  });

  test('the version changes when the query does, and only then', () => {
    const [q] = buildHuntingQueries(MIXED);
    const version = (query: string) => parse(renderHuntingYaml({ ...q, query })).version;
    expect(version(q.query)).toBe(version(q.query));
    expect(version(`${q.query}\n| take 1`)).not.toBe(version(q.query));
  });

  test('the GUID is stable per query id', () => {
    expect(huntingQueryGuid('a')).toBe(huntingQueryGuid('a'));
    expect(huntingQueryGuid('a')).not.toBe(huntingQueryGuid('b'));
  });
});
