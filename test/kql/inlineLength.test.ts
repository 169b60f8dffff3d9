import fc from 'fast-check';
import { describeIocMix } from '../../lib/ioc/mix';
import type { Ioc } from '../../lib/ioc/types';
import { InlineQueryLength } from '../../lib/kql/inlineLength';
import type { QueryContext } from '../../lib/kql/queries/common';
import { inlineSource } from '../../lib/kql/source';
import { buildInline } from '../../lib/kql/split';
import { TABLE_HUNTS } from '../../lib/kql/tableHunts';
import { manyIocs } from './fixtures';

const ctx: QueryContext = {
  familyId: 'win.netsupportmanager_rat',
  familyName: 'NetSupportManager RAT',
  lookback: '14d',
  provenance: 'abuse.ch ThreatFox',
};
const base = { malware: 'win.netsupportmanager_rat', threatType: 'botnet_cc' };

/** Values that exercise every list: shared IPs with several ports, IPv6, URL hosts that are IOCs too, escapes. */
const iocArb: fc.Arbitrary<Ioc> = fc.oneof(
  fc
    .record({
      ip: fc.constantFrom('198.51.100.7', '203.0.113.9', '2001:db8::5', '::ffff:1.2.3.4'),
      port: fc.option(fc.integer({ min: 1, max: 65535 })),
    })
    .map(({ ip, port }) => ({
      ...base,
      type: ip.includes(':') ? 'ipv6' : 'ipv4',
      value: ip,
      ...(port === null ? {} : { port }),
    })),
  fc
    .constantFrom('c2.example.net', 'evil.example', 'Mixed.Example.', 'x"y\\z.example')
    .map((value) => ({ ...base, type: 'domain', value })),
  fc
    .record({
      host: fc.constantFrom('c2.example.net', 'drop.example.org', '198.51.100.7', '2001:db8::5', undefined),
      path: fc.string({ maxLength: 12 }),
    })
    .map(({ host, path }) => ({
      ...base,
      type: 'url',
      value: `http://${host && host.includes(':') ? `[${host}]` : (host ?? 'github.com')}/${path}`,
      ...(host ? { huntedHost: host } : {}),
    })),
  fc
    .integer({ min: 0, max: 1e9 })
    .map((n) => n.toString(16).padStart(32, '0'))
    .map((value) => ({ ...base, type: 'md5', value })),
  fc
    .integer({ min: 0, max: 1e9 })
    .map((n) => n.toString(16).padStart(64, 'a'))
    .map((value) => ({ ...base, type: 'sha256', value })),
) as fc.Arbitrary<Ioc>;

/** What the split compares with its limits, from the query itself. */
function written(iocs: readonly Ioc[], hunt: (typeof TABLE_HUNTS)[number], c: QueryContext) {
  const source = inlineSource(iocs, { kinds: hunt.kinds, iocMix: describeIocMix(iocs) });
  return { length: buildInline(hunt, iocs, c).length, longestList: source.longestList };
}

describe('InlineQueryLength', () => {
  test('counts exactly the length buildInline writes, and the same longest list, IOC by IOC', () => {
    fc.assert(
      fc.property(
        fc.array(iocArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...TABLE_HUNTS),
        fc.boolean(),
        (iocs, hunt, labelled) => {
          const c = labelled ? { ...ctx, part: { index: 9999, of: 9999 } } : ctx;
          const counter = new InlineQueryLength(hunt, c);
          iocs.forEach((ioc, i) => {
            counter.add(ioc);
            expect(counter.measure()).toEqual(written(iocs.slice(0, i + 1), hunt, c));
          });
          counter.reset();
          counter.add(iocs[0]);
          expect(counter.measure()).toEqual(written(iocs.slice(0, 1), hunt, c));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('agrees on a realistic family of every type', () => {
    const iocs = manyIocs(400);
    for (const hunt of TABLE_HUNTS) {
      const selected = iocs.filter((i) => hunt.iocTypes.includes(i.type));
      if (selected.length === 0) continue;
      const counter = new InlineQueryLength(hunt, ctx);
      for (const ioc of selected) counter.add(ioc);
      expect(counter.measure()).toEqual(written(selected, hunt, ctx));
    }
  });
});
