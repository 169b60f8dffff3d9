import { familyDisplayName, familyNameFor, familyOf } from '../../lib/content/family';
import { attackMapping } from '../../lib/content/mitre';

describe('attackMapping', () => {
  test('NetSupport C2 and delivery map to T1219 plus the threat-type techniques, in kill-chain order', () => {
    expect(attackMapping('win.netsupportmanager_rat', ['botnet_cc', 'payload_delivery'])).toEqual({
      tactics: ['InitialAccess', 'CommandAndControl'],
      techniques: ['T1071', 'T1105', 'T1189', 'T1219'],
    });
  });
  test('payload hashes are Execution; unknown threat types fall back to command and control', () => {
    expect(attackMapping('win.other', ['payload'])).toEqual({ tactics: ['Execution'], techniques: ['T1204'] });
    expect(attackMapping('win.other', [undefined, 'something_new'])).toEqual({
      tactics: ['CommandAndControl'],
      techniques: ['T1071'],
    });
  });
  test('Initial Access (drive-by) is claimed only for a family known to be delivered that way', () => {
    expect(attackMapping('win.remcos', ['payload_delivery'])).toEqual({
      tactics: ['CommandAndControl'],
      techniques: ['T1105'],
    });
    expect(attackMapping('win.netsupportmanager_rat', ['payload_delivery']).tactics).toEqual([
      'InitialAccess',
      'CommandAndControl',
    ]);
    expect(attackMapping('win.netsupportmanager_rat', ['botnet_cc'])).toEqual({
      tactics: ['CommandAndControl'],
      techniques: ['T1071', 'T1219'],
    });
  });
  test('without a threat type, hashes fall back to Execution and network IOCs to command and control', () => {
    expect(attackMapping('win.remcos', [undefined], ['sha256', 'md5'])).toEqual({
      tactics: ['Execution'],
      techniques: ['T1204'],
    });
    expect(attackMapping('win.remcos', [undefined], ['sha256', 'domain'])).toEqual({
      tactics: ['CommandAndControl'],
      techniques: ['T1071'],
    });
    expect(attackMapping('win.netsupportmanager_rat', [undefined], ['md5'])).toEqual({
      tactics: ['Execution', 'CommandAndControl'],
      techniques: ['T1204', 'T1219'],
    });
  });
});

describe('family names', () => {
  test('known id, then malware_printable, then a readable id', () => {
    expect(familyDisplayName('win.netsupportmanager_rat')).toBe('NetSupportManager RAT');
    expect(familyDisplayName('js.clearfake', 'ClearFake')).toBe('ClearFake');
    expect(familyDisplayName('win.cobalt_strike')).toBe('Cobalt Strike');
    expect(familyOf({})).toBe('unattributed');
    expect(familyOf({ malware: ' Win.X ' })).toBe('win.x');
    expect(
      familyNameFor('win.x', [{ malwarePrintable: 'B' }, { malwarePrintable: 'A' }, { malwarePrintable: 'B' }]),
    ).toBe('B');
  });
});
