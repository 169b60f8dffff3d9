import { Writable } from 'node:stream';
import { createLogger, resolveLogLevel } from '../lib/logger';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('resolveLogLevel', () => {
  it.each([
    [undefined, 'info'],
    ['', 'info'],
    ['Information', 'info'],
    ['verbose', 'info'],
    ['DEBUG', 'debug'],
    [' warn ', 'warn'],
    ['silent', 'silent'],
  ])('%p → %p', (value, level) => {
    expect(resolveLogLevel(value)).toBe(level);
  });
});

describe('createLogger', () => {
  const saved = process.env.LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  });

  it('still builds a logger (at info) when LOG_LEVEL is not a pino level', () => {
    const out = sink();
    const log = createLogger({ level: 'Information', destination: out.stream });
    expect(log.level).toBe('info');
    log.debug('hidden');
    log.info('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('honours a valid level in any case', () => {
    const out = sink();
    const log = createLogger({ level: 'WARN', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});
