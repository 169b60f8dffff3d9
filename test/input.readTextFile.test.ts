import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInput, readTextFile } from '../lib/input';

describe('readTextFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'read-text-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const outcome = (read: () => string) => {
    try {
      return { text: read() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  const utf16le = (text: string, bom: boolean) =>
    Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);

  it.each([
    ['plain UTF-8', Buffer.from('evil.example\nhttp://x.example/ä\n')],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a.example')])],
    ['UTF-16 LE with a BOM', utf16le('a.example\r\nb.example', true)],
    ['UTF-16 LE without a BOM', utf16le('a.example\r\nb.example', false)],
    ['invalid UTF-8', Buffer.from([0x61, 0xff, 0x62])],
    ['a real U+FFFD', Buffer.from('bad\ufffd.example')],
    ['NUL bytes', Buffer.from('a\u0000b')],
    ['nothing', Buffer.alloc(0)],
  ])('reads %s exactly as decodeInput does', (_, bytes) => {
    const path = join(dir, 'input.txt');
    writeFileSync(path, bytes);
    expect(outcome(() => readTextFile(path, 'the file'))).toEqual(outcome(() => decodeInput(bytes, 'the file')));
  });
});
