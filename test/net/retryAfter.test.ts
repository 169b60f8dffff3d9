import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { AxiosHeaders } from 'axios';
import fc from 'fast-check';
import { parseRetryAfter, parseRetryAfterMs, retryAfterMs } from '../../lib/net/retryAfter';

const NOW = Date.parse('2026-06-21T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates; a past date means now', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter('Sun, 21 Jun 2026 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sat, 20 Jun 2026 00:00:00 GMT', NOW)).toBe(0);
  });

  it('gives nothing for what is not a wait', () => {
    for (const value of ['soon', '-5', '', '  ', '1e3', '0x10', 'Infinity', 'NaN', '5 s', undefined, 5, null])
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('never answers a negative, infinite or NaN wait, whatever the value', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^\s*-?\d{0,400}(\.\d*)?\s*$/), fc.date().map(String)),
        (v) => {
          const ms = parseRetryAfter(v, NOW);
          return ms === undefined || (Number.isFinite(ms) && ms >= 0);
        },
      ),
    );
  });
});

describe('parseRetryAfterMs', () => {
  it('reads plain non-negative numbers only', () => {
    expect(parseRetryAfterMs('250')).toBe(250);
    expect(parseRetryAfterMs(' 0 ')).toBe(0);
    for (const value of ['-1', 'abc', '', '1e3', 'Infinity', undefined, 250])
      expect(parseRetryAfterMs(value)).toBeUndefined();
  });

  it('never answers a negative, infinite or NaN wait, whatever the value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{0,400}(\.\d*)?$/)), (v) => {
        const ms = parseRetryAfterMs(v);
        return ms === undefined || (Number.isFinite(ms) && ms >= 0);
      }),
    );
  });
});

describe('retryAfterMs', () => {
  it('prefers retry-after-ms, then x-ms-retry-after-ms, then Retry-After, skipping unreadable ones', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'x-ms-retry-after-ms': '500', 'retry-after': '9' }, NOW)).toBe(250);
    expect(retryAfterMs({ 'retry-after-ms': 'soon', 'x-ms-retry-after-ms': '500', 'retry-after': '9' }, NOW)).toBe(500);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '-1', 'retry-after': '9' }, NOW)).toBe(9_000);
    expect(retryAfterMs({}, NOW)).toBeUndefined();
  });

  it('reads headers from a plain object in any case, a pipeline HttpHeaders and AxiosHeaders', () => {
    expect(retryAfterMs({ 'Retry-After': '2' }, NOW)).toBe(2_000);
    expect(retryAfterMs(createHttpHeaders({ 'X-Ms-Retry-After-Ms': '70' }), NOW)).toBe(70);
    expect(retryAfterMs(new AxiosHeaders({ 'Retry-After': 'Sun, 21 Jun 2026 00:01:00 GMT' }), NOW)).toBe(60_000);
  });

  it('a header named like a method of Object is just absent', () => {
    expect(retryAfterMs({ constructor: '5', toString: '5' }, NOW)).toBeUndefined();
  });
});
