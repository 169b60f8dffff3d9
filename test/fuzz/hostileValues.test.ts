import fc from 'fast-check';
import { parseInputDocument } from '../../lib/input';
import { normaliseRecords } from '../../lib/ioc/normalise';
import { iocSchema } from '../../lib/ioc/schema';
import type { Ioc } from '../../lib/ioc/types';
import { buildInlineQueries } from '../../lib/kql/inlineQueries';
import { TABLE_HUNTS } from '../../lib/kql/tableHunts';
import { toIndicator } from '../support/indicators';
import { parsePattern } from '../../lib/sentinel/stix';
import { hasLoneSurrogate } from '../../lib/text/clip';
import { parseRecords } from '../../lib/threatfox/schema';
import { isValidStixPattern } from '../fakes/armServer';
import { kqlDiagnostics, kqlLiteralValue } from '../support/kusto';

/**
 * Thousands of generated hostile values through both ways in (a pasted list; ThreatFox records),
 * then out to every sink: each accepted IOC satisfies the queue contract, its STIX pattern is valid
 * and decodes to exactly the normalised value, every KQL query parses with the Kusto language
 * service and holds the value, decoded, exactly; names stay well-formed Unicode.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const PER_RUN = 200; // 5 × 200 = 1,000 values per path, 2,000 in all
const FAMILY = 'win.netsupportmanager_rat';
const NOW = new Date('2026-06-21T00:00:00Z');

/** Characters that break out of quoting, comments, lines, patterns and markup, and the odd Unicode. */
const nasty = fc.constantFrom(
  '"',
  "'",
  '\\',
  '`',
  '|',
  ';',
  '//',
  '/*',
  '*/',
  '\n',
  '\r',
  '\t',
  ' ',
  '\u0000',
  '\u2028',
  '\u202e',
  '\u200b',
  '\ufeff',
  ']',
  '[',
  '(',
  ')',
  '{',
  '}',
  '<',
  '>',
  '%',
  '%27',
  '%0a',
  '$',
  '#',
  '?',
  '&',
  '=',
  ':',
  '@',
  ',',
  '..',
  '[.]',
  '(dot)',
  'hxxp',
  '\uD800',
  '\uDC00',
  '🦊',
  'é',
  'Ж',
  '中',
  'ß',
  'İ',
  '١',
  'ﬁ',
  '\u0301',
  'xn--',
  '-',
  '_',
  '~',
  '+',
  '!',
  '*',
);
const word = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const piece = fc.oneof(
  { weight: 3, arbitrary: word },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const messy = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
const tld = fc.constantFrom('com', 'net', 'org', 'ru', 'co.uk', 'xyz', 'top', 'example', 'рф', '中国', 'local', '1');
const label = fc.oneof({ weight: 4, arbitrary: word }, { weight: 1, arbitrary: messy });
const host = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld).map(([ls, t]) => `${ls.join('.')}.${t}`);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const port = fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), messy);
const path = fc.array(fc.oneof(word, nasty), { maxLength: 6 }).map((ps) => ps.join(''));
const scheme = fc.constantFrom('http', 'https', 'HTTP', 'hxxp', 'ftp', 'javascript', 'file');

const url = fc.oneof(
  fc.tuple(scheme, host, path).map(([s, h, p]) => `${s}://${h}/${p}`),
  fc.tuple(scheme, ipv4, port, path).map(([s, h, pt, p]) => `${s}://${h}:${pt}/${p}`),
);
const ipPort = fc.oneof(
  fc.tuple(ipv4, port).map(([h, pt]) => `${h}:${pt}`),
  fc.tuple(fc.ipV6(), port).map(([h, pt]) => `[${h}]:${pt}`),
);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`));

/** A value with the ThreatFox ioc_type it claims to be (mostly the right one). */
const typedValue: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 3, arbitrary: host.map((v): [string, string] => [v, 'domain']) },
  { weight: 3, arbitrary: url.map((v): [string, string] => [v, 'url']) },
  { weight: 3, arbitrary: ipPort.map((v): [string, string] => [v, 'ip:port']) },
  { weight: 1, arbitrary: hex(32).map((v): [string, string] => [v, 'md5_hash']) },
  { weight: 1, arbitrary: hex(40).map((v): [string, string] => [v, 'sha1_hash']) },
  { weight: 1, arbitrary: hex(64).map((v): [string, string] => [v, 'sha256_hash']) },
  {
    weight: 1,
    arbitrary: fc.tuple(messy, fc.constantFrom('domain', 'url', 'ip:port', 'sha3_384_hash', 'constructor', '')),
  },
);

/** A value somewhere between plausible and hostile, as a user might paste it. */
const hostileValue = fc.oneof(
  typedValue.map(([v]) => v),
  ipv4,
  fc.ipV6(),
  messy,
);

const hostileRecord = fc
  .record({
    id: fc.oneof(fc.nat().map(String), fc.stringMatching(/^\d{30,45}$/)),
    typed: typedValue,
    threat_type: fc.oneof(fc.constantFrom('botnet_cc', 'payload_delivery'), messy),
    threat_type_desc: fc.option(messy),
    ioc_type_desc: fc.option(messy),
    malware: fc.constantFrom(FAMILY, FAMILY, FAMILY, 'constructor', '__proto__', 'tostring'),
    malware_printable: fc.option(fc.oneof(messy, fc.string({ unit: 'binary', minLength: 250, maxLength: 600 }))),
    malware_alias: fc.constant(null),
    malware_malpedia: fc.constant(null),
    confidence_level: fc.integer({ min: 0, max: 100 }),
    first_seen: fc.constant('2026-06-20 10:00:00 UTC'),
    last_seen: fc.constant(null),
    reference: fc.option(
      fc.oneof(
        path.map((p) => `https://example.com/${p}`),
        fc.string({ minLength: 4090, maxLength: 5000 }),
      ),
    ),
    reporter: fc.option(messy),
    tags: fc.option(
      fc.array(fc.oneof(messy, fc.string({ unit: 'binary', minLength: 490, maxLength: 620 })), { maxLength: 5 }),
    ),
  })
  .map(({ typed: [ioc, iocType], ...rest }) => ({ ...rest, ioc, ioc_type: iocType }));

/** Every string literal of a query (comments skipped), as the Kusto language service decodes it. */
function decodedLiterals(query: string): Set<string> {
  const out = new Set<string>();
  for (const line of query.split('\n')) {
    if (line.trimStart().startsWith('//')) continue;
    // Without a backslash a "..." literal is its text; with one, the language service decodes it.
    for (const m of line.matchAll(/"(?:[^"\\]|\\.)*"/g))
      out.add(m[0].includes('\\') ? kqlLiteralValue(m[0]) : m[0].slice(1, -1));
  }
  return out;
}

/** The sinks: queue contract, STIX pattern, KQL. Returns nothing; throws on the first broken promise. */
function checkSinks(iocs: Ioc[]): void {
  for (const ioc of iocs) {
    expect(iocSchema.safeParse(ioc).success).toBe(true);
    const indicator = toIndicator(ioc, { source: 'ThreatFox', ttlDays: 30, now: NOW });
    expect(isValidStixPattern(indicator.pattern!)).toBe(true);
    expect(parsePattern(indicator.pattern!)).toEqual({ type: ioc.type, value: ioc.value });
    expect(indicator.displayName!.length).toBeLessThanOrEqual(256);
    expect(hasLoneSurrogate(indicator.displayName!)).toBe(false);
    expect(hasLoneSurrogate(indicator.description ?? '')).toBe(false);
  }
  const queries = buildInlineQueries(iocs);
  const literals = new Set<string>();
  for (const q of queries) {
    expect(kqlDiagnostics(q.query)).toEqual([]);
    for (const v of decodedLiterals(q.query)) literals.add(v);
  }
  // Every IOC of a type some table hunts is in a query, decoded, exactly as normalised.
  const hunted = new Set(TABLE_HUNTS.flatMap((h) => h.iocTypes));
  for (const ioc of iocs) if (hunted.has(ioc.type)) expect(literals).toContain(ioc.value);
}

describe('fuzz: hostile values through every way in and every sink', () => {
  it('pasted lists: every accepted value reaches KQL and STIX intact; every refusal has a reason', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(hostileValue, { minLength: PER_RUN, maxLength: PER_RUN }), (values) => {
        // One value a line; a value with a line break in it is several lines, as a paste would be.
        const parsed = parseInputDocument(values.join('\n'), { family: FAMILY });
        for (const r of parsed.rejected) expect(r.reason.length).toBeGreaterThan(0);
        accepted += parsed.iocs.length;
        checkSinks(parsed.iocs);
      }),
      { numRuns: RUNS, seed: 20261128, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(RUNS * PER_RUN * 0.2); // the generator is not only noise
  });

  it('ThreatFox records: metadata bounded, IOCs kept or refused with a reason, sinks intact', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(hostileRecord, { minLength: PER_RUN, maxLength: PER_RUN }), (raw) => {
        const { records, rejected } = parseRecords(raw);
        for (const r of rejected) expect(r.reason).toMatch(/^invalid ThreatFox record \(.+\)$/);
        const normalised = normaliseRecords(records);
        expect(normalised.iocs.length + normalised.rejected.length).toBeLessThanOrEqual(records.length);
        for (const r of normalised.rejected) expect(r.reason.length).toBeGreaterThan(0);
        // Nothing disappears: every record is an IOC (maybe merged with a duplicate) or a rejection.
        const keptValues = new Set(normalised.iocs.map((i) => i.value));
        expect(records.length - normalised.rejected.length).toBeGreaterThanOrEqual(keptValues.size);
        accepted += normalised.iocs.length;
        checkSinks(normalised.iocs);
      }),
      { numRuns: RUNS, seed: 20261129, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(RUNS * PER_RUN * 0.1);
  });
});
