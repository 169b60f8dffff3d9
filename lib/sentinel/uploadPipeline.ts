import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { isLoopbackHost } from '../settingFields';
import type { Logger } from '../logger';
import { GENERATOR } from '../names';
import { budgetPacingPolicy } from '../net/budgetPacingPolicy';
import { runDeadlinePolicy } from '../net/deadline';
import { requestTimeoutPolicy } from '../net/requestTimeoutPolicy';
import { retryAfterMs } from '../net/retryAfter';
import { retryAfterCapPolicy } from '../net/retryAfterCapPolicy';
import type { TokenBudget } from '../net/tokenBudget';

/**
 * The upload API's HTTP pipeline: the Azure SDK's, with the policies the ARM clients get.
 *
 * Per call: the run's deadline (lib/net/deadline). Then the SDK's retry policy: on 429/503 it
 * waits what `retry-after-ms` / `x-ms-retry-after-ms` / `Retry-After` ask, on other 5xx, 408 and
 * network faults it backs off exponentially with jitter, up to `maxRetries`. Then the bearer token
 * (ARM's audience). Per attempt, outermost first: the pace (one budget per client), the
 * Retry-After cap, the service's "Try again in N seconds" hint, the attempt's timeout.
 */

export const uploadThrottleHintPolicyName = 'uploadThrottleHintPolicy';

const TRY_AGAIN = /try again in (\d+(?:\.\d+)?) seconds?/i;

/** The seconds a 429's message names ("Rate limit is exceeded. Try again in N seconds."), in ms. */
function hintedWaitMs(bodyAsText: string | null | undefined): number | undefined {
  let message: unknown;
  try {
    const body = JSON.parse(bodyAsText ?? '') as { message?: unknown; error?: { message?: unknown } } | null;
    message = body?.message ?? body?.error?.message;
  } catch {
    return undefined;
  }
  const m = typeof message === 'string' ? TRY_AGAIN.exec(message) : null;
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * A 429 that names no wait in its headers gets one, so the SDK's throttling retry takes it: the
 * seconds its message names, else `defaultWaitMs`. (Without a header the SDK would not retry it.)
 */
export function uploadThrottleHintPolicy(defaultWaitMs: number): PipelinePolicy {
  return {
    name: uploadThrottleHintPolicyName,
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 || retryAfterMs(response.headers) !== undefined) return response;
      response.headers.set('retry-after-ms', String(hintedWaitMs(response.bodyAsText) ?? defaultWaitMs));
      return response;
    },
  };
}

/** Says at debug level why an attempt did not succeed (the retry policy then decides what follows). */
function failedAttemptLogPolicy(logger: Logger): PipelinePolicy {
  return {
    name: 'uploadFailedAttemptLogPolicy',
    async sendRequest(request, next) {
      try {
        const response = await next(request);
        if (response.status >= 400)
          logger.debug({ status: response.status, waitMs: retryAfterMs(response.headers) }, 'upload attempt failed');
        return response;
      } catch (e) {
        logger.debug({ code: (e as { code?: unknown }).code ?? 'error' }, 'upload attempt failed');
        throw e;
      }
    },
  };
}

/**
 * The token for a plain-http endpoint on loopback (a local fake; settings refuse http anywhere
 * else). The SDK's bearer policy refuses every http URL, so there the header is set here.
 */
function loopbackBearerPolicy(credential: TokenCredential, scope: string): PipelinePolicy {
  return {
    name: 'uploadLoopbackBearerPolicy',
    async sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname))
        throw new Error(`refusing to send a token over plain http to ${url.host}`);
      const token = await credential.getToken(scope, { abortSignal: request.abortSignal });
      if (!token) throw new Error(`no token for ${scope}`);
      request.headers.set('Authorization', `Bearer ${token.token}`);
      request.allowInsecureConnection = true;
      return next(request);
    },
  };
}

export interface UploadPipelineOptions {
  /** The API's base URL: https, or plain http on loopback only. */
  endpoint: string;
  credential: TokenCredential;
  scope: string;
  pace: TokenBudget;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  retryDelayMs: number;
  tlsCa?: string | Buffer;
  logger: Logger;
}

export function createUploadPipeline(options: UploadPipelineOptions): { pipeline: Pipeline; httpClient: HttpClient } {
  const pipeline = createPipelineFromOptions({
    retryOptions: { maxRetries: options.maxRetries, retryDelayInMs: options.retryDelayMs, maxRetryDelayInMs: 30_000 },
    // A redirect would carry the token elsewhere: none is followed.
    redirectOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: GENERATOR },
    ...(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {}),
  });
  pipeline.addPolicy(runDeadlinePolicy());
  const auth =
    new URL(options.endpoint).protocol === 'http:'
      ? loopbackBearerPolicy(options.credential, options.scope)
      : bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: options.scope });
  pipeline.addPolicy(auth, { phase: 'Sign' });
  const perAttempt = [
    budgetPacingPolicy('uploadPacingPolicy', () => ({ budget: options.pace })),
    failedAttemptLogPolicy(options.logger),
    retryAfterCapPolicy(options.maxRetryAfterMs),
    uploadThrottleHintPolicy(options.retryDelayMs),
    requestTimeoutPolicy(options.timeoutMs),
  ];
  for (const policy of perAttempt) pipeline.addPolicy(policy, { afterPhase: 'Sign' });
  return { pipeline, httpClient: createDefaultHttpClient() };
}
