import { KnownAttackTactic } from '@azure/arm-securityinsight';
import { buildInlineQueries } from '../../lib/kql/inlineQueries';
import { buildThreatIntelQueries, familiesOf } from '../../lib/kql/threatIntelQueries';
import type { HuntingQuery } from '../../lib/kql/huntingQuery';
import { generatedForFamilies, isGeneratedSavedSearch, ownedBy, toSavedSearch } from '../../lib/sentinel/savedSearch';
import { MIXED, SEED_000 } from '../kql/fixtures';

/** ATT&CK tactics as Sentinel spells them: the service's own list (its API's AttackTactic values). */
const PORTAL_TACTICS = new Set<string>(Object.values(KnownAttackTactic));

/** Every query a sync can write: both forms, every family of the mixed set, behaviour hunts included. */
const QUERIES: HuntingQuery[] = [
  ...buildInlineQueries(MIXED),
  ...buildThreatIntelQueries(familiesOf(MIXED), { indicatorSource: 'ThreatFox' }),
];

const tag = (tags: { name: string; value: string }[] | undefined, name: string) =>
  (tags ?? []).filter((t) => t.name === name).map((t) => t.value);

describe('toSavedSearch', () => {
  test('covers both forms, several families and the behaviour hunts', () => {
    expect(new Set(QUERIES.map((q) => q.form))).toEqual(new Set(['inline', 'threatIntel', 'behaviour']));
    expect(new Set(QUERIES.map((q) => q.family)).size).toBeGreaterThanOrEqual(3);
  });

  test.each(QUERIES.map((q) => [q.id, q] as const))('%s: what the Hunting blade shows is the query', (id, q) => {
    const { id: savedId, body } = toSavedSearch(q, 'ThreatFox');
    expect(savedId).toBe(id);
    // The Hunting blade lists saved searches of this category, in KQL (query language version 2).
    expect(body).toMatchObject({ category: 'Hunting Queries', version: 2, displayName: q.name, query: q.query });
    const tags = body.tags;
    // The blade reads description, tactics and techniques: each once, comma-separated, from the query.
    expect(tag(tags, 'description')).toEqual([q.description]);
    const [tactics] = tag(tags, 'tactics');
    const [techniques] = tag(tags, 'techniques');
    expect(tactics.split(',')).toEqual(q.tactics);
    expect(techniques.split(',')).toEqual(q.techniques);
    expect(q.tactics.length).toBeGreaterThan(0);
    expect(q.tactics.filter((t) => !PORTAL_TACTICS.has(t))).toEqual([]);
    expect(q.techniques.filter((t) => !/^T\d{4}(\.\d{3})?$/.test(t))).toEqual([]);
    // No tag value breaks the comma-separated list or the portal's one-line display.
    for (const t of tags ?? []) expect(t.value).not.toMatch(/[\r\n]/);
    expect(new Set((tags ?? []).map((t) => t.name)).size).toBe((tags ?? []).length);
  });

  test('is recognised as ours, for its own family only, and a copy someone else made is not', () => {
    for (const q of QUERIES) {
      const saved = toSavedSearch(q, 'ThreatFox');
      expect(isGeneratedSavedSearch(saved.body)).toBe(true);
      expect(generatedForFamilies(new Set([q.family]))(saved)).toBe(true);
      expect(generatedForFamilies(new Set(['win.other_family']))(saved)).toBe(false);
      const copy = {
        id: saved.id,
        body: {
          ...saved.body,
          tags: saved.body.tags!.map((t) => (t.name === 'createdBy' ? { ...t, value: 'someone@contoso.com' } : t)),
        },
      };
      expect(isGeneratedSavedSearch(copy.body)).toBe(false);
      expect(generatedForFamilies(new Set([q.family]))(copy)).toBe(false);
      // An analyst's copy under another id keeps our tags but is not ours to prune.
      expect(generatedForFamilies(new Set([q.family]))({ ...saved, id: `my-copy-of-${saved.id}` })).toBe(false);
    }
  });

  test('names its writer (INDICATOR_SOURCE) in the source tag: a search without it is nobody’s', () => {
    const [q] = QUERIES;
    const { body } = toSavedSearch(q, 'ThreatFox-B');
    expect(tag(body.tags, 'source')).toEqual(['ThreatFox-B']);
    expect(ownedBy(body, 'ThreatFox-B')).toBe(true);
    expect(ownedBy(body, 'ThreatFox')).toBe(false);
    expect(ownedBy({ tags: body.tags!.filter((t) => t.name !== 'source') }, 'ThreatFox-B')).toBe(false);
  });

  test('is identical for the same IOC set, so unchanged queries are not rewritten', () => {
    const queries = buildInlineQueries(SEED_000);
    const again = buildInlineQueries([...SEED_000].reverse()).map((q) => toSavedSearch(q, 'ThreatFox'));
    expect(again).toEqual(queries.map((q) => toSavedSearch(q, 'ThreatFox')));
    expect(JSON.stringify(again)).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
