import {
  parseRecords,
  threatFoxRecordSchema,
  threatFoxResponseSchema,
  THREATFOX_IOC_TYPES,
} from '../../lib/threatfox/schema';
import { seedRecords } from '../fakes/threatfoxServer';

/** The sample record of the ThreatFox API documentation (get_iocs answer). */
const DOC_RECORD = {
  id: '41',
  ioc: 'gaga.com',
  threat_type: 'botnet_cc',
  threat_type_desc: 'Indicator that identifies a botnet command&control server (C&C)',
  ioc_type: 'domain',
  ioc_type_desc: 'Domain that is used for botnet Command&control (C&C)',
  malware: 'win.dridex',
  malware_printable: 'Dridex',
  malware_alias: null,
  malware_malpedia: 'https://malpedia.caad.fkie.fraunhofer.de/details/win.dridex',
  confidence_level: 50,
  first_seen: '2020-12-08 13:36:27 UTC',
  last_seen: null,
  reporter: 'abuse_ch',
  reference: 'https://twitter.com/JAMESWT_MHT/status/1336229725082177536',
  tags: ['exe', 'test'],
};

const one = (overrides: Record<string, unknown>) => parseRecords([{ ...DOC_RECORD, ...overrides }]);
const reasonFor = (overrides: Record<string, unknown>) => {
  const { records, rejected } = one(overrides);
  expect(records).toHaveLength(0);
  expect(rejected).toHaveLength(1);
  return rejected[0].reason;
};

describe('threatFoxRecordSchema / parseRecords', () => {
  test('the documented sample record parses into our shape', () => {
    const { records, rejected } = parseRecords([DOC_RECORD]);
    expect(rejected).toEqual([]);
    expect(records[0]).toEqual({
      id: '41',
      ioc: 'gaga.com',
      threat_type: 'botnet_cc',
      threat_type_desc: 'Indicator that identifies a botnet command&control server (C&C)',
      ioc_type: 'domain',
      ioc_type_desc: 'Domain that is used for botnet Command&control (C&C)',
      malware: 'win.dridex',
      malware_printable: 'Dridex',
      malware_alias: undefined,
      malware_malpedia: 'https://malpedia.caad.fkie.fraunhofer.de/details/win.dridex',
      confidence_level: 50,
      first_seen: '2020-12-08T13:36:27Z',
      last_seen: undefined,
      reference: 'https://twitter.com/JAMESWT_MHT/status/1336229725082177536',
      reporter: 'abuse_ch',
      tags: ['exe', 'test'],
      threatfoxId: '41',
    });
  });

  test('every record the fake serves is valid', () => {
    const seeds = seedRecords();
    const { records, rejected } = parseRecords(seeds);
    expect(rejected).toEqual([]);
    expect(records).toHaveLength(seeds.length);
    expect(records.every((r) => (THREATFOX_IOC_TYPES as readonly string[]).includes(r.ioc_type))).toBe(true);
  });

  test('a numeric id becomes a string; a non-numeric or negative id is rejected', () => {
    expect(one({ id: 1579705 }).records[0].id).toBe('1579705');
    expect(reasonFor({ id: 'abc' })).toMatch(/^invalid ThreatFox record \(id: /);
    expect(reasonFor({ id: -1 })).toMatch(/id/);
  });

  test('null or missing tags become [], a comma string is split, blanks dropped', () => {
    expect(one({ tags: null }).records[0].tags).toEqual([]);
    expect(one({ tags: undefined }).records[0].tags).toEqual([]);
    expect(one({ tags: 'exe, RAT ,,' }).records[0].tags).toEqual(['exe', 'RAT']);
    expect(one({ tags: [' a ', ''] }).records[0].tags).toEqual(['a']);
    expect(reasonFor({ tags: [1, 2] })).toMatch(/tags/);
  });

  test('last_seen and reference may be null; last_seen is converted like first_seen', () => {
    const r = one({ last_seen: '2020-12-09 01:02:03 UTC', reference: null }).records[0];
    expect(r.last_seen).toBe('2020-12-09T01:02:03Z');
    expect(r.reference).toBeUndefined();
    expect(reasonFor({ last_seen: '2020-12-09' })).toMatch(/last_seen/);
  });

  test.each([
    ['yesterday'],
    ['2020-12-08T13:36:27Z'],
    ['2020-12-08 13:36:27'],
    ['2020-02-30 00:00:00 UTC'],
    ['2020-12-08 24:00:00 UTC'],
    ['2020-13-01 00:00:00 UTC'],
    [''],
    [null],
  ])('first_seen %p is rejected with the field named', (first_seen) => {
    expect(reasonFor({ first_seen })).toMatch(/first_seen/);
  });

  test('a leap day is a real date', () => {
    expect(one({ first_seen: '2024-02-29 23:59:59 UTC' }).records[0].first_seen).toBe('2024-02-29T23:59:59Z');
  });

  test('missing or empty ioc is rejected; a huge ioc too', () => {
    const { ioc: _omit, ...withoutIoc } = DOC_RECORD;
    const missing = parseRecords([withoutIoc]);
    expect(missing.records).toEqual([]);
    expect(missing.rejected[0].reason).toMatch(/ioc/);
    expect(reasonFor({ ioc: '' })).toMatch(/empty ioc/);
    expect(reasonFor({ ioc: `http://x/${'a'.repeat(5000)}` })).toMatch(/4096/);
  });

  test('confidence_level: numbers and numeric strings 0-100; null, "", words and out of range rejected', () => {
    expect(one({ confidence_level: '75' }).records[0].confidence_level).toBe(75);
    expect(one({ confidence_level: 0 }).records[0].confidence_level).toBe(0);
    for (const bad of [null, '', 'high', 101, -1, 50.5, undefined]) {
      expect(reasonFor({ confidence_level: bad })).toMatch(/confidence_level/);
    }
  });

  test('blank optional texts become undefined, texts are trimmed', () => {
    const r = one({ malware_alias: '  ', reporter: ' abuse_ch ', threat_type_desc: undefined }).records[0];
    expect(r.malware_alias).toBeUndefined();
    expect(r.reporter).toBe('abuse_ch');
    expect(r.threat_type_desc).toBeUndefined();
  });

  test('unknown fields are dropped, not trusted', () => {
    const r = one({ __proto_pollution: 'x', comment: 'hi' }).records[0] as Record<string, unknown>;
    expect(r).not.toHaveProperty('comment');
    expect(r).not.toHaveProperty('__proto_pollution');
  });

  test('one bad record does not stop the batch; each rejection names the record and every problem', () => {
    const batch = [
      DOC_RECORD,
      { ...DOC_RECORD, id: '42', ioc: 'bad.example', first_seen: 'x', confidence_level: 'x' },
      'not a record',
      null,
      { ...DOC_RECORD, id: '43' },
    ];
    const { records, rejected } = parseRecords(batch);
    expect(records.map((r) => r.id)).toEqual(['41', '43']);
    expect(rejected.map((r) => r.input)).toEqual(['ThreatFox #42: bad.example', '"not a record"', 'null']);
    expect(rejected[0].reason).toMatch(/confidence_level/);
    expect(rejected[0].reason).toMatch(/first_seen/);
    expect(rejected[1].reason).toMatch(/^invalid ThreatFox record \(record: /);
  });

  test('a long hostile record is described briefly', () => {
    const { rejected } = parseRecords([{ junk: 'z'.repeat(10_000) }]);
    expect(rejected[0].input.length).toBeLessThanOrEqual(201);
  });

  test('the schema is usable on its own', () => {
    expect(threatFoxRecordSchema.safeParse(DOC_RECORD).success).toBe(true);
  });
});

describe('threatFoxResponseSchema', () => {
  test('reads ok, no_result and error envelopes', () => {
    expect(threatFoxResponseSchema.parse({ query_status: 'ok', data: [] })).toEqual({ query_status: 'ok', data: [] });
    expect(
      threatFoxResponseSchema.parse({ query_status: 'no_result', data: 'Your search did not yield any results' }).data,
    ).toBe('Your search did not yield any results');
    expect(threatFoxResponseSchema.parse({ query_status: 'unknown_auth_key' }).query_status).toBe('unknown_auth_key');
    expect(threatFoxResponseSchema.safeParse({ error: 'Unauthorized' }).success).toBe(false);
    expect(threatFoxResponseSchema.safeParse('ok').success).toBe(false);
  });
});
