import pino, { type Logger } from 'pino';

export type { Logger };

/** Secrets must never reach a log line, whatever shape the object that carries them has. */
export const REDACT_PATHS = [
  'authKey',
  '*.authKey',
  'headers["auth-key"]',
  'headers["Auth-Key"]',
  'headers.authorization',
  'headers.Authorization',
  '*.headers["auth-key"]',
  '*.headers["Auth-Key"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers["Auth-Key"]',
  '*.config.headers["Auth-Key"]',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'THREATFOX_AUTH_KEY',
  '*.THREATFOX_AUTH_KEY',
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable output (the CLI on a terminal). */
  pretty?: boolean;
  /** Where lines go; the CLI uses stderr so stdout stays for results. */
  destination?: NodeJS.WritableStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (options.pretty) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino({ level, redact, base: options.base ?? null }, pretty({ destination: 2, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino({ level, redact, base: options.base ?? null }, (options.destination ?? pino.destination(2)) as pino.DestinationStream);
}

/** A logger that drops everything: the default for library code called without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
