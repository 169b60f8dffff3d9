import { buildHuntingQueries } from '../../lib/kql/huntingQueries';
import { HUNTING_CATEGORY, isGeneratedSavedSearch, toSavedSearch } from '../../lib/sentinel/savedSearch';
import { SEED_000 } from '../kql/fixtures';

describe('toSavedSearch', () => {
  const queries = buildHuntingQueries(SEED_000);
  const q = queries.find((x) => x.table === 'CommonSecurityLog')!;

  test('is the body Sentinel lists under Hunting, with the tags the portal reads', () => {
    const { id, body } = toSavedSearch(q);
    expect(id).toBe(q.id);
    expect(body).toEqual({
      category: 'Hunting Queries',
      displayName: 'NetSupportManager RAT C2 and payload IPs, domains and URLs in CommonSecurityLog (ThreatFox)',
      query: q.query,
      version: 2,
      tags: [
        { name: 'description', value: q.description },
        { name: 'tactics', value: 'InitialAccess,CommandAndControl' },
        { name: 'techniques', value: 'T1071,T1105,T1189,T1219' },
        { name: 'createdBy', value: 'threatfox-sentinel-sync' },
        { name: 'family', value: 'win.netsupportmanager_rat' },
        { name: 'table', value: 'CommonSecurityLog' },
      ],
    });
    expect(HUNTING_CATEGORY).toBe('Hunting Queries');
    expect(isGeneratedSavedSearch(body)).toBe(true);
    expect(isGeneratedSavedSearch({ tags: [{ name: 'createdBy', value: 'someone@contoso.com' }] })).toBe(false);
  });

  test('is identical for the same IOC set, so unchanged queries are not rewritten', () => {
    const again = buildHuntingQueries([...SEED_000].reverse()).map(toSavedSearch);
    expect(again).toEqual(queries.map(toSavedSearch));
    expect(JSON.stringify(again)).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
