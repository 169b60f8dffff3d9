import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncError } from '../lib/errors';
import { parseInputDocument } from '../lib/input';

const FAMILY = { family: 'win.netsupportmanager_rat' };

describe('parseInputDocument', () => {
  test('a pasted list whose first line starts with "[" is read as a list, not rejected as JSON', () => {
    const parsed = parseInputDocument(
      '[evil-c2[.]com]\nhxxp://node54group[.]com/gate.php\n91[.]92[.]34[.]228[:]80\n',
      FAMILY,
    );
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
    const answer = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'threatfox-netsupport.json'), 'utf8')) as {
      data: unknown[];
    };
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

describe('parseInputDocument: a family filter that matches nothing', () => {
  const answer = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'threatfox-netsupport.json'), 'utf8')) as {
    query_status: string;
    data: Record<string, unknown>[];
  };
  const withRecord = (extra: Record<string, unknown>) =>
    JSON.stringify({ ...answer, data: [...answer.data, { ...answer.data[0], id: '99', ...extra }] });

  test.each([
    ['the streamed answer', JSON.stringify(answer)],
    ['a bare array of records', JSON.stringify(answer.data)],
  ])('%s: an error naming the families the document holds, by how many records, and the option', (_name, text) => {
    const read = () => parseInputDocument(text, { malware: ['win.remcos'], familyOption: '--malware' });
    expect(read).toThrow(SyncError);
    expect(read).toThrow(
      '--malware win.remcos matched none of the 21 ThreatFox records in the input; it holds win.netsupportmanager_rat (21 records): name one of those, or leave out --malware to take them all',
    );
    try {
      read();
    } catch (e) {
      expect((e as SyncError).field).toBe('--malware');
    }
  });

  test('most frequent family first; no error when a matching record exists, even one that is rejected', () => {
    const mixed = withRecord({ ioc: 'cs-beacon.com', ioc_type: 'domain', malware: 'win.cobalt_strike' });
    expect(() => parseInputDocument(mixed, { malware: ['win.remcos'] })).toThrow(
      /it holds win\.netsupportmanager_rat \(21 records\), win\.cobalt_strike \(1 record\): name one of those, or leave out malware/,
    );
    const benign = withRecord({ ioc: '8.8.8.8:53', ioc_type: 'ip:port', malware: 'win.remcos' });
    const parsed = parseInputDocument(benign, { malware: ['win.remcos'] });
    expect(parsed).toMatchObject({ iocs: [], skipped: 21 });
    expect(parsed.rejected).toEqual([expect.objectContaining({ benign: 'public-resolver' })]);
  });

  test('a document with no records, or no filter, is no error', () => {
    expect(parseInputDocument('{"query_status":"no_result","data":"x"}', { malware: ['win.remcos'] }).iocs).toEqual([]);
    expect(parseInputDocument(JSON.stringify(answer)).iocs).toHaveLength(21);
  });
});

describe('decodeInput', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { decodeInput } = require('../lib/input') as typeof import('../lib/input');
  const text = 'evil-c2[.]com\r\nhxxp://bücher[.]de/ä\r\n';

  test.each([
    ['UTF-8', Buffer.from(text, 'utf8')],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])],
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
    ['UTF-16 LE without a BOM', Buffer.from(text, 'utf16le')],
    ['UTF-16 BE without a BOM', Buffer.from(text, 'utf16le').swap16()],
  ])('%s is decoded to the same text', (_name, bytes) => {
    expect(decodeInput(bytes, '--input x')).toBe(text);
  });

  test.each([
    ['NUL bytes in UTF-8', Buffer.from('evil.com\u0000\u0001\u0002garbage', 'utf8'), /--input x is binary/],
    ['invalid UTF-8', Buffer.from([0x65, 0x76, 0xc3, 0x28, 0xff]), /--input x is not UTF-8 or UTF-16 text/],
    [
      'UTF-16 with an odd byte count',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('abc', 'utf16le'), Buffer.from([0x41])]),
      /odd number of bytes/,
    ],
  ])('%s is refused as a whole, naming the input', (_name, bytes, reason) => {
    expect(() => decodeInput(bytes, '--input x')).toThrow(SyncError);
    expect(() => decodeInput(bytes, '--input x')).toThrow(reason);
  });
});
