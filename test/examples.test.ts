import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETSUPPORT, seedRecords } from './fakes/threatfoxServer';

describe('examples/threatfox-netsupport.json', () => {
  it('is the NetSupportManager RAT seed feed the fake ThreatFox serves, in ThreatFox answer format', () => {
    const feed = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'threatfox-netsupport.json'), 'utf8'));
    expect(feed.query_status).toBe('ok');
    expect(feed.data).toEqual(seedRecords().filter((r) => r.malware === NETSUPPORT));
  });
});
