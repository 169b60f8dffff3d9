import type { PipelinePolicy } from '@azure/core-rest-pipeline';

export const retryAfterCapPolicyName = 'retryAfterCapPolicy';

/** The longest the SDK waits on a 429/503 before trying again, whatever the service asks. */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Caps the wait a 429 or 503 asks for. The SDK's throttling retry honours `Retry-After` (and the
 * `retry-after-ms` / `x-ms-retry-after-ms` variants) however long it is; one `Retry-After: 90`
 * would stall a run for 90 s, and a larger one past its deadline. Placed per retry, between the
 * retry policy and the wire, this lowers the headers to the cap: the request is retried sooner
 * (and counts against ARM_MAX_RETRIES if it is throttled again), so a run's length stays bounded.
 */
export function retryAfterCapPolicy(capMs: number = MAX_RETRY_AFTER_MS): PipelinePolicy {
  return {
    name: retryAfterCapPolicyName,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const headers = response.headers;
      for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
        const ms = Number(headers.get(name));
        if (headers.has(name) && Number.isFinite(ms) && ms > capMs) headers.set(name, String(capMs));
      }
      const retryAfter = headers.get('retry-after');
      if (retryAfter !== undefined) {
        const seconds = Number(retryAfter);
        const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
        if (ms > capMs) headers.set('retry-after', String(Math.floor(capMs / 1000)));
      }
      return response;
    },
  };
}
