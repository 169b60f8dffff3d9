import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { parseRetryAfter, parseRetryAfterMs, RETRY_AFTER_MS_HEADERS, retryAfterMs } from './retryAfter';

export const retryAfterCapPolicyName = 'retryAfterCapPolicy';

/** The longest the SDK waits on a 429/503 before trying again, whatever the service asks. */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Caps the wait a 429 or 503 asks for. The SDK's throttling retry honours `Retry-After` (and the
 * `retry-after-ms` / `x-ms-retry-after-ms` variants) however long it is; one `Retry-After: 90`
 * would stall a run for 90 s, and a larger one past its deadline. Placed per retry, between the
 * retry policy and the wire, this lowers each header that asks for more to the cap and states
 * the cap in `retry-after-ms` (which the SDK reads first, so a cap under a second is kept): the
 * request is retried sooner (and counts against its retries if it is throttled again), so a
 * run's length stays bounded.
 */
export function retryAfterCapPolicy(capMs: number = MAX_RETRY_AFTER_MS): PipelinePolicy {
  return {
    name: retryAfterCapPolicyName,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const headers = response.headers;
      const asked = retryAfterMs(headers);
      for (const name of RETRY_AFTER_MS_HEADERS) {
        const ms = parseRetryAfterMs(headers.get(name));
        if (ms !== undefined && ms > capMs) headers.set(name, String(capMs));
      }
      const ms = parseRetryAfter(headers.get('retry-after'));
      if (ms !== undefined && ms > capMs) headers.set('retry-after', String(Math.floor(capMs / 1000)));
      // The wait the SDK will read first is the one asked for, cut to the cap.
      if (asked !== undefined && asked > capMs) headers.set('retry-after-ms', String(capMs));
      return response;
    },
  };
}
