import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncError } from '../lib/errors';
import { parseInputDocument } from '../lib/input';

const FAMILY = { family: 'win.netsupportmanager_rat' };

describe('parseInputDocument', () => {
  test('a pasted list whose first line starts with "[" is read as a list, not rejected as JSON', () => {
    const parsed = parseInputDocument('[evil-c2[.]com]\nhxxp://node54group[.]com/gate.php\n91[.]92[.]34[.]228[:]80\n', FAMILY);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.read).toBe(3);
    expect(parsed.iocs.map((i) => [i.type, i.value, i.port, i.malware])).toEqual([
      ['domain', 'evil-c2.com', undefined, 'win.netsupportmanager_rat'],
      ['url', 'http://node54group.com/gate.php', undefined, 'win.netsupportmanager_rat'],
      ['ipv4', '91.92.34.228', 80, 'win.netsupportmanager_rat'],
    ]);
  });

  test('a single bracketed IP is an IOC too', () => {
    const parsed = parseInputDocument('[1.2.3.4]', FAMILY);
    expect(parsed.iocs.map((i) => i.value)).toEqual(['1.2.3.4']);
  });

  test('a JSON array of ThreatFox records is still read as records', () => {
    const answer = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'threatfox-netsupport.json'), 'utf8')) as { data: unknown[] };
    const parsed = parseInputDocument(JSON.stringify(answer.data));
    expect(parsed.read).toBe(answer.data.length);
    expect(parsed.iocs.length).toBeGreaterThan(0);
    expect(parsed.iocs.every((i) => i.threatfoxId !== undefined)).toBe(true);
  });

  test('an object that is not JSON is still an input error naming JSON', () => {
    expect(() => parseInputDocument('{"query_status": "ok", "data": [')).toThrow(SyncError);
    expect(() => parseInputDocument('{"query_status": "ok", "data": [')).toThrow(/looks like JSON but does not parse/);
  });
});
