import pino, { type Logger } from 'pino';

/** A log line as pino writes it: its message and the fields logged with it. */
export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** A real logger whose lines at `level` and above are kept, parsed, instead of printed. */
export function capturedLogs(level = 'warn'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}
