import { IOC_LIMITS, iocSchema } from '../../lib/ioc/schema';
import { normaliseRecords } from '../../lib/ioc/normalise';
import { toIndicator } from '../support/indicators';
import { clip, CLIP_MARKER, hasLoneSurrogate, wellFormed } from '../../lib/text/clip';
import { FORMAT_ALARM, parseRecords, rejectionAlarm } from '../../lib/threatfox/schema';

const RECORD = {
  id: '1650000',
  ioc: 'bounds-test-c2.com',
  threat_type: 'botnet_cc',
  ioc_type: 'domain',
  malware: 'win.netsupportmanager_rat',
  malware_printable: 'NetSupportManager RAT',
  confidence_level: 90,
  first_seen: '2026-06-20 10:00:00 UTC',
  tags: ['NetSupport'],
};
const one = (over: Record<string, unknown>) => {
  const { records, rejected } = parseRecords([{ ...RECORD, ...over }]);
  expect(rejected).toEqual([]);
  const { iocs } = normaliseRecords(records);
  expect(iocs).toHaveLength(1);
  expect(iocSchema.safeParse(iocs[0]).success).toBe(true); // what pull produces, upsert accepts
  return { record: records[0], ioc: iocs[0] };
};

describe('clip', () => {
  it('cuts to the limit with a visible marker, never between the halves of a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcdef', 4)).toBe(`abc${CLIP_MARKER}`);
    const fox = '🦊'.repeat(200); // 400 UTF-16 units
    for (const max of [255, 256, 257]) {
      const cut = clip(fox, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(hasLoneSurrogate(cut)).toBe(false);
      expect(cut.endsWith(CLIP_MARKER)).toBe(true);
    }
  });

  it('replaces lone surrogates, keeps pairs', () => {
    expect(wellFormed('a\uD800b\uDC00c🦊')).toBe('a\uFFFDb\uFFFDc🦊');
    expect(hasLoneSurrogate('🦊')).toBe(false);
    expect(hasLoneSurrogate('\uD83E')).toBe(true);
  });
});

describe('ThreatFox record metadata is bounded to what an IOC carries, never the IOC', () => {
  it('a 600-character tag is clipped with the marker, and noted', () => {
    const { record, ioc } = one({ tags: ['ok', 't'.repeat(600)] });
    expect(ioc.tags).toEqual(['ok', `${'t'.repeat(IOC_LIMITS.tag - 1)}${CLIP_MARKER}`]);
    expect(record.clipped).toEqual(['tags[1]: 600 characters clipped to 500']);
  });

  it('a 40-digit id is dropped from the IOC (a cut id would be a wrong one), not the IOC', () => {
    const { record, ioc } = one({ id: '1'.repeat(40) });
    expect(ioc.threatfoxId).toBeUndefined();
    expect(ioc.value).toBe('bounds-test-c2.com');
    expect(record.clipped![0]).toMatch(/^id: 40 digits/);
  });

  it('a numeric id past 2^53 is written out whole, and too long to keep', () => {
    const { record } = one({ id: 1e21 });
    expect(record.id).toBe('1000000000000000000000');
  });

  it('a 5000-character reference is dropped, a 200-tag list kept to its first 200', () => {
    const { ioc, record } = one({
      reference: `https://example.com/${'a'.repeat(5000)}`,
      tags: Array.from({ length: 250 }, (_, i) => `t${i}`),
    });
    expect(ioc.reference).toBeUndefined();
    expect(ioc.tags).toHaveLength(IOC_LIMITS.tags);
    expect(record.clipped).toEqual([
      expect.stringMatching(/^reference: 5020 characters/),
      'tags: 250 tags, kept the first 200',
    ]);
  });

  it('lone surrogates from the feed never reach a name; a long name is cut on a character boundary', () => {
    const { ioc, record } = one({ malware_printable: `Net\uD800Support ${'🦊'.repeat(300)}` });
    expect(record.clipped).toEqual([
      'malware_printable: lone UTF-16 surrogate replaced with U+FFFD',
      'malware_printable: 612 characters clipped to 500',
    ]);
    const body = toIndicator(ioc, { source: 'ThreatFox', ttlDays: 30, now: new Date('2026-06-21T00:00:00Z') });
    expect(body.displayName!.length).toBeLessThanOrEqual(256);
    expect(body.displayName!.startsWith('Net\uFFFDSupport 🦊')).toBe(true);
    expect(hasLoneSurrogate(body.displayName!)).toBe(false);
    expect(hasLoneSurrogate(body.description!)).toBe(false);
  });

  it('a family id with control characters is refused with a reason (it names queue messages and state rows)', () => {
    const { records, rejected } = parseRecords([{ ...RECORD, malware: 'win.a\nb' }]);
    expect(records).toEqual([]);
    expect(rejected[0].reason).toMatch(/malware: control characters are not allowed/);
  });
});

describe('rejectionAlarm: a pull that rejects most records looks like a format change', () => {
  const reasons = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      input: `#${i}`,
      reason: `first_seen: expected "YYYY-MM-DD HH:MM:SS UTC" (${i})`,
    }));
  it(`fires above ${FORMAT_ALARM.maxRejectedShare * 100}% of at least ${FORMAT_ALARM.minRecords} records, naming the count and first reasons`, () => {
    expect(rejectionAlarm(10, reasons(6))).toMatch(
      /^6 of 10 ThreatFox records rejected \(more than 50%\): .*First reasons: first_seen: .*\(0\) \| .*\(1\) \| .*\(2\)$/,
    );
    expect(rejectionAlarm(10, reasons(5))).toBeUndefined();
    expect(rejectionAlarm(9, reasons(9))).toBeUndefined();
    expect(rejectionAlarm(0, [])).toBeUndefined();
  });
});
