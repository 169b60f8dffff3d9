import type { InvocationContext } from '@azure/functions';
import pino from 'pino';
import { appEnv } from '../../lib/config';
import { REDACT_PATHS, resolveLogLevel, type Logger } from '../../lib/logger';
import { createServices, type Invocation, type ServiceOverrides, type Services } from '../../lib/services';
import { QUEUE_HOST_SETTINGS } from './host';

let services: Services | undefined;
let overrides: ServiceOverrides = {};

/** Built once per worker from the app settings; a bad setting fails the invocation with a message naming it. */
export function getServices(): Services {
  return (services ??= createServices(appEnv(), overrides));
}

/** What tests swapped in (credential, fakes' transport, ThreatFox source): the preflight check builds its own services with them. */
export function serviceOverrides(): ServiceOverrides {
  return overrides;
}

/** Tests swap in fakes (credential, fakes' transport, ThreatFox source) and force a rebuild from the current env. */
export function resetServices(next: ServiceOverrides = {}): void {
  overrides = next;
  services = undefined;
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'error',
};

/**
 * A pino logger whose lines go through the invocation's own log methods, so the host tags them with
 * the invocation id and level in Application Insights; the JSON line carries the id too.
 */
export function invocationLogger(context: InvocationContext): Logger {
  // A bad LOG_LEVEL must not break the logger: getServices() reports it, through this logger.
  const level = resolveLogLevel(appEnv().LOG_LEVEL);
  return pino(
    {
      level,
      base: { invocationId: context.invocationId, function: context.functionName },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    {
      write(line: string) {
        const parsed = JSON.parse(line) as { level: number };
        context[LEVELS[parsed.level] ?? 'info'](line.trimEnd());
      },
    },
  );
}

/** The invocation as its job sees it: its logger, its id (the run's, unless given), host.json's queue message encoding. */
export function invocationOf(context: InvocationContext, runId = context.invocationId): Invocation {
  return { logger: invocationLogger(context), runId, messageEncoding: QUEUE_HOST_SETTINGS.messageEncoding };
}
