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

/** pino's levels; LOG_LEVEL takes one of these, in any case. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The level to build a logger with. Never throws: an unknown level (`Information`) falls back to
 * `info` so there is always a logger to report the bad setting with; loadSettings names it.
 */
export function resolveLogLevel(value: string | undefined): LogLevel {
  const level = value?.trim().toLowerCase();
  return level && isLogLevel(level) ? level : 'info';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLogLevel(options.level);
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (options.pretty) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    // On a terminal the run's summary is printed as human lines on stdout; its object would be 35 more lines here.
    return pino(
      { level, redact, base: options.base ?? null },
      pretty({ destination: 2, colorize: true, ignore: 'pid,hostname,summary' }),
    );
  }
  return pino(
    { level, redact, base: options.base ?? null },
    (options.destination ?? pino.destination(2)) as pino.DestinationStream,
  );
}

/** A logger that drops everything: the default for library code called without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
