import { createDefaultHttpClient, RestError, type HttpClient, type PipelinePolicy } from '@azure/core-rest-pipeline';

export const requestTimeoutPolicyName = 'requestTimeoutPolicy';

/**
 * Bounds every attempt of a request, from sending to the last byte of the answer.
 *
 * The pipeline's own `request.timeout` stops counting once the headers arrive, so a service that
 * answers headers and then stalls the body would hang the run; this covers the whole exchange.
 * Placed per retry, so each attempt gets the full time. A timed-out attempt fails as a RestError
 * with code `ETIMEDOUT`, which the SDK retry policies treat as a network fault (retried with backoff).
 */
export function requestTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: requestTimeoutPolicyName,
    async sendRequest(request, next) {
      const outer = request.abortSignal;
      const controller = new AbortController();
      const abort = () => controller.abort();
      if (outer?.aborted) abort();
      else outer?.addEventListener('abort', abort);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (e) {
        if (timedOut && !outer?.aborted) {
          const where = new URL(request.url);
          throw new RestError(`${request.method} ${where.host}${where.pathname} timed out after ${timeoutMs} ms`, {
            code: 'ETIMEDOUT',
            request,
          });
        }
        throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', abort);
        request.abortSignal = outer;
      }
    },
  };
}

/**
 * The same bound as an HttpClient, for SDK clients that take an `httpClient` but drop
 * `additionalPolicies` (@azure/identity's managed-identity client replaces them with its own).
 */
export function timeoutHttpClient(timeoutMs: number, inner: HttpClient = createDefaultHttpClient()): HttpClient {
  const policy = requestTimeoutPolicy(timeoutMs);
  return { sendRequest: (request) => policy.sendRequest(request, (r) => inner.sendRequest(r)) };
}
