import { safeRowKey } from '../../lib/state/rowKey';

describe('safeRowKey', () => {
  it('leaves ThreatFox ids alone and encodes what RowKey forbids, one-to-one', () => {
    expect(safeRowKey('win.netsupportmanager_rat')).toBe('win.netsupportmanager_rat');
    expect(safeRowKey('a/b\\c#d?e\u0001f\u007f%')).toBe('a%2Fb%5Cc%23d%3Fe%01f%7F%25');
    expect(safeRowKey('a%2F')).not.toBe(safeRowKey('a/'));
  });
});
