import { kqlDynamicList, kqlString } from '../../lib/kql/literal';
import { kqlDiagnostics, kqlLiteralValue } from '../support/kusto';
import { HOSTILE_VALUES, shuffled } from './fixtures';

const SAMPLES = [
  '',
  'plain.example.com',
  'a"b',
  'a\\b',
  '\\"',
  'tab\there',
  'new\nline',
  'cr\rlf\r\n',
  '\u0000\u0001\u001f\u007f\u0085\u009f',
  '\u2028\u2029',
  'é日本🙂',
  '\ud83d',
  '\ude42 tail',
  '\\u0041 is not an escape here',
  ...HOSTILE_VALUES,
];

/** Random strings over the characters that matter to a lexer. */
function randomStrings(count: number): string[] {
  const pool = [
    'a',
    'Z',
    '0',
    '"',
    "'",
    '\\',
    '\n',
    '\r',
    '\t',
    '\u0000',
    '\u001b',
    '|',
    ';',
    '/',
    '@',
    '`',
    '{',
    '}',
    'é',
    '\u2028',
    '\ud800',
    '\udc00',
    '🙂',
    ' ',
  ];
  const out: string[] = [];
  let seed = 7;
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = i % 17;
    for (let j = 0; j < len; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += pool[seed % pool.length];
    }
    out.push(s);
  }
  return out;
}

describe('kqlString', () => {
  const all = [...SAMPLES, ...randomStrings(300)];

  test.each(SAMPLES.map((s) => [JSON.stringify(s), s]))(
    '%s round-trips through the Kusto language service',
    (_name, value) => {
      const literal = kqlString(value);
      expect(kqlLiteralValue(literal)).toBe(value);
      expect(kqlDiagnostics(`print v = ${literal}`)).toEqual([]);
    },
  );

  test('random strings round-trip, parse, and contain no raw control or line-break characters', () => {
    for (const value of all) {
      const literal = kqlString(value);
      expect(literal).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(kqlLiteralValue(literal)).toBe(value);
    }
    // One query holding every value: any unterminated literal would break what follows it.
    const query = `print ${all.map((v, i) => `v${i} = ${kqlString(v)}`).join(', ')}`;
    expect(kqlDiagnostics(query)).toEqual([]);
  });

  test('the same text is a JSON string, as the engine reads it inside dynamic()', () => {
    for (const value of all) expect(JSON.parse(kqlString(value))).toBe(value);
  });

  test('a value cannot end the literal early', () => {
    const literal = kqlString('x" or 1==1 or Name == "y');
    expect(kqlDiagnostics(`DnsEvents | where Name == ${literal} | project Name`)).toEqual([]);
    expect(literal).toBe('"x\\" or 1==1 or Name == \\"y"');
  });

  test('rejects non-strings instead of printing them', () => {
    expect(() => kqlString(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('kqlDynamicList', () => {
  test('builds a dynamic array literal whose elements are the values, in order', () => {
    const values = shuffled([...SAMPLES]);
    const text = kqlDynamicList(values);
    expect(text.startsWith('dynamic([')).toBe(true);
    expect(JSON.parse(text.slice('dynamic('.length, -1))).toEqual(values);
    expect(kqlDiagnostics(`let l = ${text}; DnsEvents | where Name in (l) | project Name`)).toEqual([]);
  });

  test('an empty list is still valid KQL', () => {
    expect(kqlDynamicList([])).toBe('dynamic([])');
    expect(kqlDiagnostics(`print array_length(${kqlDynamicList([])})`)).toEqual([]);
  });
});
