import type { Logger } from '../logger';
import { SyncError } from '../errors';
import { sleep } from '../net/sleep';

/**
 * The ThreatFox client's retry mechanics: which failures are worth another try, how long to wait
 * (Retry-After, or backoff with jitter), and when to give up with an error that says why.
 */

/** Socket-level failures worth another try; anything else without a response is a bug or bad setting. */
export const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Exponential backoff with full jitter: a random wait in [0, base·2^(retry-1)], capped. */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * random());
}

/** What a failed attempt was, and whether another one could succeed. */
export interface Failure {
  retryable: boolean;
  /** For the final error message, e.g. "HTTP 503" or "timed out after 30000 ms". */
  what: string;
  retryAfterMs?: number;
  /** What the server said, for the final message only (logs stay short). */
  detail?: string;
  cause?: Error;
}

export interface RetryPolicy {
  /** The query's name, for messages. */
  query: string;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  log: Logger;
  /** Takes the Auth-Key out of any text before it leaves. */
  scrub: (text: string) => string;
}

/** Runs `attempt` until it answers, retrying a retryable failure; throws when it gives up. */
export async function withRetries<T extends object>(
  attempt: () => Promise<T | Failure>,
  policy: RetryPolicy,
): Promise<T> {
  const attempts = policy.maxRetries + 1;
  for (let n = 1; ; n++) {
    const outcome = await attempt();
    if (!('retryable' in outcome)) return outcome;
    const failure = outcome;
    const last = n >= attempts;
    if (!failure.retryable || last) {
      const tries = `${n} attempt${n === 1 ? '' : 's'}`;
      const why = failure.retryable ? `gave up after ${tries}` : `not retried (${tries})`;
      const detail = failure.detail ? ` (${failure.detail})` : '';
      throw new SyncError(
        'THREATFOX',
        policy.scrub(`ThreatFox ${policy.query} failed: ${failure.what}${detail}; ${why}`),
        {
          cause: failure.cause,
        },
      );
    }
    const delayMs = failure.retryAfterMs ?? backoffDelay(n, policy.retryBaseDelayMs, policy.maxRetryDelayMs);
    if (delayMs > policy.maxRetryDelayMs) {
      throw new SyncError(
        'THREATFOX',
        policy.scrub(
          `ThreatFox ${policy.query} failed: ${failure.what} and asked us to retry after ${Math.ceil(delayMs / 1000)} s, longer than the ${Math.ceil(policy.maxRetryDelayMs / 1000)} s we wait; try again later`,
        ),
      );
    }
    policy.log.warn(
      { query: policy.query, attempt: n, maxAttempts: attempts, delayMs, reason: policy.scrub(failure.what) },
      'ThreatFox request failed; retrying',
    );
    await sleep(delayMs);
  }
}
