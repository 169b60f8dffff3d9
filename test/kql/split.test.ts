import fc from 'fast-check';
import type { Ioc } from '../../lib/ioc/types';
import { TABLE_HUNTS } from '../../lib/kql/tableHunts';
import type { QueryContext, TableHunt } from '../../lib/kql/queries/common';
import { MAX_HAS_ANY } from '../../lib/kql/source';
import { buildInline, splitIocs } from '../../lib/kql/split';
import { manyIocs } from './fixtures';

const ctx: QueryContext = {
  familyId: 'win.netsupportmanager_rat',
  familyName: 'NetSupportManager RAT',
  lookback: '14d',
  provenance: 'abuse.ch ThreatFox',
};
/** How a part is measured while splitting: with the widest label a part could print. */
const probe: QueryContext = { ...ctx, part: { index: 9999, of: 9999 } };
const hunt = (table: string): TableHunt => TABLE_HUNTS.find((h) => h.table === table)!;

/** Each part fits; each but the last is the longest run that fits (adding the next IOC would not). */
function expectGreedyMaximal(h: TableHunt, iocs: Ioc[], max: number, fits = (q: string) => q.length <= max): Ioc[][] {
  const parts = splitIocs(h, iocs, ctx, max);
  expect(parts.flat()).toEqual(iocs);
  if (parts.length === 1) {
    // A lone IOC may be over the limit (the query's own text can be): it is kept, not dropped.
    if (iocs.length > 1) expect(fits(buildInline(h, iocs, ctx))).toBe(true);
    return parts;
  }
  let next = 0;
  parts.forEach((part, i) => {
    next += part.length;
    if (part.length > 1) expect(fits(buildInline(h, part, probe))).toBe(true);
    if (i < parts.length - 1) expect(fits(buildInline(h, iocs.slice(next - part.length, next + 1), probe))).toBe(false);
  });
  return parts;
}

describe('splitIocs', () => {
  test('every part is the longest run from its start that fits, whatever the IOCs and the limit', () => {
    const values = fc.record({
      n: fc.integer({ min: 1, max: 400 }),
      max: fc.integer({ min: 2000, max: 12_000 }),
      // Values of very different lengths, so the length model guesses wrong and has to correct.
      stretch: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 8 }),
      table: fc.constantFrom('DnsEvents', 'CommonSecurityLog', 'UrlClickEvents', 'DeviceNetworkEvents'),
    });
    fc.assert(
      fc.property(values, ({ n, max, stretch, table }) => {
        const iocs = manyIocs(n)
          .map((i, k) => {
            const pad = 'x'.repeat(stretch[k % stretch.length]);
            if (i.type === 'domain') return { ...i, value: `${pad}${i.value}` };
            if (i.type === 'url') return { ...i, value: `${i.value}&p=${pad}` };
            return i;
          })
          .filter((i) => hunt(table).iocTypes.includes(i.type))
          .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.value < b.value ? -1 : 1));
        if (iocs.length > 0) expectGreedyMaximal(hunt(table), iocs, max);
      }),
      { numRuns: 40 },
    );
  });

  test('a has_any list over MAX_HAS_ANY values splits there even when the text would fit', () => {
    const domains: Ioc[] = Array.from({ length: MAX_HAS_ANY + 500 }, (_, i) => ({
      type: 'domain',
      value: `d${String(i).padStart(5, '0')}.example`,
      threatType: 'botnet_cc',
      malware: 'win.netsupportmanager_rat',
      malwarePrintable: 'NetSupportManager RAT',
    }));
    const parts = splitIocs(hunt('DnsEvents'), domains, ctx, 2_000_000);
    expect(parts.map((p) => p.length)).toEqual([MAX_HAS_ANY, 500]);
  });

  test('an IOC that alone is over the limit still gets a part of its own', () => {
    const long: Ioc = { ...manyIocs(2)[1], value: `${'a'.repeat(2100)}.example.net` };
    const parts = splitIocs(hunt('DnsEvents'), [...manyIocs(2).slice(1, 2), long], ctx, 2000);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toEqual([long]);
  });
});
