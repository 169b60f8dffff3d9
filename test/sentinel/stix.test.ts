import { IOC_TYPES, type IocType } from '../../lib/ioc/types';
import { observableKey, parsePattern, stixPattern, stixPatternType, stixString } from '../../lib/sentinel/stix';
import { isValidStixPattern } from '../fakes/armServer';

describe('stixString', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ["\\'", "'\\\\\\''"],
    ["'] OR [ipv4-addr:value = '1.2.3.4", "'\\'] OR [ipv4-addr:value = \\'1.2.3.4'"],
    ['line\nbreak\ttab', "'line\nbreak\ttab'"],
    ['ünïcødé-домен-🦊', "'ünïcødé-домен-🦊'"],
    ['', "''"],
  ])('escapes %j', (value, expected) => {
    expect(stixString(value)).toBe(expected);
  });
});

describe('stixPattern', () => {
  it.each<[IocType, string, string, string]>([
    ['ipv4', '91.92.34.228', "[ipv4-addr:value = '91.92.34.228']", 'ipv4-addr'],
    ['ipv6', '2001:db8::1', "[ipv6-addr:value = '2001:db8::1']", 'ipv6-addr'],
    ['domain', 'node54group.com', "[domain-name:value = 'node54group.com']", 'domain-name'],
    ['url', 'http://google2oauth.com/google.txt', "[url:value = 'http://google2oauth.com/google.txt']", 'url'],
    ['md5', 'd41d8cd98f00b204e9800998ecf8427e', "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']", 'file'],
    [
      'sha1',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
      'file',
    ],
    [
      'sha256',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
      'file',
    ],
  ])('%s → simple pattern and patternType', (type, value, pattern, patternType) => {
    expect(stixPattern({ type, value })).toBe(pattern);
    expect(stixPatternType(type)).toBe(patternType);
    expect(parsePattern(pattern)).toEqual({ type, value });
    expect(isValidStixPattern(pattern)).toBe(true);
  });

  const hostile = [
    "http://evil.example/a'b",
    'http://evil.example/back\\slash',
    "http://evil.example/\\'] OR [url:value = 'x",
    "http://evil.example/'''\\\\\\",
    'http://evil.example/new\nline',
    'http://evil.example/ünï/🦊',
  ];
  it.each(hostile)('a hostile URL %j stays one literal and reads back unchanged', (value) => {
    const pattern = stixPattern({ type: 'url', value });
    expect(parsePattern(pattern)).toEqual({ type: 'url', value });
    expect(isValidStixPattern(pattern)).toBe(true);
    // The literal cannot be closed early: the only unescaped quotes are the two delimiters.
    const body = pattern.slice('[url:value = '.length, -1);
    expect(body.replace(/\\['\\]/g, '').match(/'/g)).toHaveLength(2);
  });
});

describe('parsePattern', () => {
  it('accepts the spellings other tools use for hashes and spacing', () => {
    expect(parsePattern("[file:hashes.SHA256 = 'ABC']")).toEqual({ type: 'sha256', value: 'ABC' });
    expect(parsePattern("[file:hashes.'sha-1'='x']")).toEqual({ type: 'sha1', value: 'x' });
    expect(parsePattern("  [ DOMAIN-NAME:value   =   'a.example' ]  ")).toEqual({ type: 'domain', value: 'a.example' });
  });

  it.each([
    "[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 80]",
    "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']",
    "[email-addr:value = 'a@b.example']",
    "[file:hashes.'SHA-512' = 'abc']",
    "[url:value = 'unterminated]",
    "[url:value = 'bad'quote']",
    "[url:value = 'bad\\escape']",
    '',
  ])('refuses %j (not a simple pattern we write)', (pattern) => {
    expect(parsePattern(pattern)).toBeUndefined();
  });
});

describe('observableKey', () => {
  it('is case-insensitive except for URLs', () => {
    expect(observableKey({ type: 'domain', value: 'A.Example' })).toBe(
      observableKey({ type: 'domain', value: 'a.example' }),
    );
    expect(observableKey({ type: 'sha256', value: 'ABC' })).toBe(observableKey({ type: 'sha256', value: 'abc' }));
    expect(observableKey({ type: 'url', value: 'http://a.example/X' })).not.toBe(
      observableKey({ type: 'url', value: 'http://a.example/x' }),
    );
    expect(new Set(IOC_TYPES.map((type) => observableKey({ type, value: 'v' }))).size).toBe(IOC_TYPES.length);
  });
});
