import { refang, refangValue } from '../../lib/ioc/refang';

describe('refangValue', () => {
  test.each([
    ['hxxp://evil[.]com/x', 'http://evil.com/x'],
    ['hxxps://evil[.]com/x', 'https://evil.com/x'],
    ['HXXPS://evil[.]com/x', 'https://evil.com/x'],
    ['hXXp://evil[.]com', 'http://evil.com'],
    ['hXxPs[://]evil[.]com/a', 'https://evil.com/a'],
    ['hxxp[:]//evil[.]com', 'http://evil.com'],
    ['fxp://files[.]evil[.]com/a.zip', 'ftp://files.evil.com/a.zip'],
    ['1[.]2[.]3[.]4', '1.2.3.4'],
    ['1.2.3[.]4[:]8080', '1.2.3.4:8080'],
    ['91[.]92[.]34[.]228:80', '91.92.34.228:80'],
    ['evil(.)com', 'evil.com'],
    ['evil{.}com', 'evil.com'],
    ['evil[dot]com', 'evil.com'],
    ['evil(dot)com', 'evil.com'],
    ['evil[DOT]com', 'evil.com'],
    ['evil [.] com', 'evil.com'],
    ['evil [ dot ] com', 'evil.com'],
    ['"evil.com"', 'evil.com'],
    ["'evil[.]com'", 'evil.com'],
    ['<evil.com>', 'evil.com'],
    ['[evil[.]com]', 'evil.com'],
    ['(evil.com)', 'evil.com'],
    ['`evil.com`', 'evil.com'],
    ['\u201Cevil.com\u201D', 'evil.com'],
    ['  "<hxxp://evil[.]com/a>"  ', 'http://evil.com/a'],
    ['\t evil[.]com \t', 'evil.com'],
    ['user[@]evil[.]com', 'user@evil.com'],
    ['user[at]evil[.]com', 'user@evil.com'],
    ['user (at) evil(.)com', 'user@evil.com'],
    ['[2001:db8::1]:443', '[2001:db8::1]:443'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['evil.com.', 'evil.com.'],
  ])('%j → %j', (input, expected) => {
    expect(refangValue(input)).toBe(expected);
  });

  test('does not touch hxxp that is not a scheme, nor a fanged URL', () => {
    expect(refangValue('hxxpdomain.com')).toBe('hxxpdomain.com');
    expect(refangValue('http://evil.com/a?b=HTTP://c')).toBe('http://evil.com/a?b=HTTP://c');
  });

  test('leaves wrappers that do not enclose the whole value', () => {
    expect(refangValue('"a" or "b"')).toBe('"a" or "b"');
    expect(refangValue('evil.com"; drop')).toBe('evil.com"; drop');
  });
});

describe('refang (text)', () => {
  test('refangs each line and keeps the line breaks', () => {
    expect(refang('hxxp://a[.]com/x\r\n  b(.)net  \n"c[.]org"')).toBe('http://a.com/x\r\nb.net\nc.org');
  });
});
