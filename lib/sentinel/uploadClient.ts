import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/identity';
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { firstLine } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { GENERATOR } from '../names';
import { RUN_DEADLINE, runDeadlineSignal } from '../net/deadline';
import { sleep } from '../net/sleep';
import { TokenBudget, type BucketShape } from '../net/tokenBudget';
import type { StixIndicator } from './stixObject';

/**
 * Client of Microsoft Sentinel's STIX objects upload API:
 * `POST {endpoint}/workspaces/{workspaceId}/threat-intelligence-stix-objects:upload?api-version=2024-02-01-preview`
 * with `{"sourcesystem", "stixobjects": [≤ 100]}` and a token for ARM's audience. The service
 * answers 200 with an empty body, or with `{"errors": [{recordIndex, errorMessages}]}` naming the
 * objects it refused (the others were taken); 429 when over 100 requests a minute.
 *
 * Pacing: every attempt waits for a token of one budget per client (UPLOAD_PACE), so the
 * service's rate limit is kept to rather than hit; a 429 empties the budget.
 *
 * Retries: 429 waits for `Retry-After` (or the seconds the message names), capped; 5xx, timeouts and
 * network faults back off exponentially with jitter. Re-sending a batch is safe: object ids are
 * derived from source + pattern, so a batch that took effect before its answer was lost only
 * updates what it created. A run's deadline (lib/net/deadline) ends a request in flight or a wait,
 * as it does for the ARM clients.
 */

export const UPLOAD_API_VERSION = '2024-02-01-preview';
/** The API takes ARM's audience (https://management.azure.com and its management.core.windows.net alias). */
export const UPLOAD_TOKEN_SCOPE = 'https://management.azure.com/.default';
export const MAX_OBJECTS_PER_UPLOAD = 100;
export const DEFAULT_UPLOAD_ENDPOINT = 'https://api.ti.sentinel.azure.com';
/**
 * How we pace uploads: the API allows 100 requests a minute per user; we send up to 10 at once,
 * then one every 0.6 s, so a long run keeps to the documented rate instead of collecting 429s.
 */
export const UPLOAD_PACE: BucketShape = { size: 10, refillPerSecond: 100 / 60 };

export interface UploadClientOptions {
  /** SENTINEL_TI_UPLOAD_ENDPOINT, e.g. https://api.ti.sentinel.azure.com */
  endpoint: string;
  credential: TokenCredential;
  /** `sourcesystem`: our INDICATOR_SOURCE; it becomes the indicators' `source`. */
  sourceSystem: string;
  timeoutMs?: number;
  /** Retries after the first attempt (429, 5xx, network). */
  maxRetries?: number;
  /** Longest wait for one Retry-After; a longer one is cut to this (and retried), never waited out. */
  maxRetryAfterMs?: number;
  /** First backoff for 5xx/network faults. */
  retryDelayMs?: number;
  /** Extra CA to trust (a test fake's self-signed certificate). */
  tlsCa?: string | Buffer;
  logger?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Request pace (default UPLOAD_PACE); the bench matches its fake's faster clock. */
  pace?: BucketShape;
}

/** Per-object refusals by index in the batch sent. */
export interface UploadAnswer {
  rejected: Map<number, string>;
}

export class UploadError extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  constructor(message: string, options: { statusCode?: number; code?: string } = {}) {
    super(message);
    this.name = 'UploadError';
    this.statusCode = options.statusCode;
    this.code = options.code;
  }
}

const answerSchema = z
  .object({
    errors: z
      .array(
        z
          .object({ recordIndex: z.number().int().min(0), errorMessages: z.array(z.string()).default([]) })
          .passthrough(),
      )
      .default([]),
  })
  .passthrough();

const deadlineError = () =>
  new UploadError('run deadline reached (RUN_DEADLINE_SECONDS) before this upload finished', { code: RUN_DEADLINE });

/** Milliseconds to wait from a 429: retry-after-ms / x-ms-retry-after-ms, Retry-After, else "Try again in N seconds" in the body. */
function retryAfterMs(headers: Record<string, unknown>, body: unknown): number | undefined {
  // Azure's millisecond headers first (as the ARM SDKs do), then Retry-After, then the message.
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(headers[name]);
    if (typeof headers[name] === 'string' && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const header = headers['retry-after'];
  if (typeof header === 'string' && header.trim()) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  const message = body && typeof body === 'object' ? (body as { message?: unknown }).message : undefined;
  const m = typeof message === 'string' ? /try again in (\d+(?:\.\d+)?) seconds?/i.exec(message) : null;
  return m ? Number(m[1]) * 1000 : undefined;
}

/** One line from an error answer; never the request (it carries the token). */
function answerText(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    const text = b.error?.message ?? b.message;
    if (typeof text === 'string')
      return `HTTP ${status} ${typeof b.error?.code === 'string' ? `${b.error.code} ` : ''}${firstLine(text).slice(0, 300)}`;
  }
  return `HTTP ${status}`;
}

export interface UploadClient {
  /** Uploads one batch (≤ 100) to the workspace with this customer id (the Log Analytics workspace id). */
  upload(workspaceId: string, objects: StixIndicator[]): Promise<UploadAnswer>;
}

function createHttp(options: Pick<UploadClientOptions, 'timeoutMs' | 'tlsCa'>): AxiosInstance {
  return axios.create({
    timeout: options.timeoutMs ?? 60_000,
    maxRedirects: 0,
    validateStatus: () => true,
    maxContentLength: 10 * 1024 * 1024,
    httpsAgent: new Agent({ keepAlive: true, ...(options.tlsCa ? { ca: options.tlsCa } : {}) }),
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': GENERATOR,
    },
  });
}

/** A batch the API would refuse whole is refused here, before any request. */
function checkBatch(workspaceId: string, objects: readonly StixIndicator[]): void {
  if (objects.length > MAX_OBJECTS_PER_UPLOAD)
    throw new RangeError(`at most ${MAX_OBJECTS_PER_UPLOAD} objects per upload (got ${objects.length})`);
  if (!/^[0-9a-f-]{36}$/i.test(workspaceId))
    throw new UploadError(`not a Log Analytics workspace id: "${workspaceId}"`);
}

/** A 2xx answer: the per-object refusals it lists (indexes outside the batch ignored). */
function parseAnswer(status: number, data: unknown, count: number): UploadAnswer {
  const parsed = answerSchema.safeParse(data === '' || data === undefined ? {} : data);
  if (!parsed.success)
    throw new UploadError(`unexpected upload answer: ${parsed.error.issues[0]?.message ?? 'not JSON'}`, {
      statusCode: status,
    });
  const rejected = new Map<number, string>();
  for (const e of parsed.data.errors) {
    if (e.recordIndex >= count) continue;
    rejected.set(e.recordIndex, e.errorMessages.join('; ').slice(0, 500) || 'refused by the service');
  }
  return { rejected };
}

interface RetrySettings {
  maxRetries: number;
  maxRetryAfterMs: number;
  retryDelayMs: number;
}

interface UploadRequest {
  url: string;
  body: string;
  count: number;
}

/** One attempt's result: the answer, or the failure and how long to wait before retrying (none: final). */
type Attempt = { answer: UploadAnswer } | { failure: UploadError; wait: number | undefined };

const backoff = (retry: RetrySettings, attempt: number) =>
  Math.min(retry.retryDelayMs * 2 ** attempt, 30_000) * (0.8 + Math.random() * 0.4);

async function attemptUpload(
  http: AxiosInstance,
  request: UploadRequest,
  credential: TokenCredential,
  retry: RetrySettings,
  attempt: number,
  deadline: AbortSignal | undefined,
): Promise<Attempt> {
  try {
    const token = await credential.getToken(UPLOAD_TOKEN_SCOPE);
    if (!token) throw new UploadError(`no token for ${UPLOAD_TOKEN_SCOPE}`);
    const res = await http.post(request.url, request.body, {
      headers: { Authorization: `Bearer ${token.token}` },
      ...(deadline ? { signal: deadline } : {}),
    });
    if (res.status >= 200 && res.status < 300) return { answer: parseAnswer(res.status, res.data, request.count) };
    const failure = new UploadError(answerText(res.status, res.data), { statusCode: res.status });
    if (res.status === 429) {
      const asked = retryAfterMs(res.headers, res.data) ?? retry.retryDelayMs;
      return { failure, wait: Math.min(asked, retry.maxRetryAfterMs) };
    }
    return { failure, wait: res.status >= 500 || res.status === 408 ? backoff(retry, attempt) : undefined };
  } catch (e) {
    // Ours (a bad answer) and the credential's errors are final; transport failures (timeout, reset) are retried.
    if (deadline?.aborted) throw deadlineError();
    if (!axios.isAxiosError(e)) throw e;
    // axios errors carry the request, token included: keep only the code.
    const code = e.code ?? 'network error';
    return { failure: new UploadError(`upload request failed: ${code}`, { code }), wait: backoff(retry, attempt) };
  }
}

export function createUploadClient(options: UploadClientOptions): UploadClient {
  const logger = options.logger ?? silentLogger;
  const pause = options.sleep ?? sleep;
  const retry: RetrySettings = {
    maxRetries: options.maxRetries ?? 10,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    retryDelayMs: options.retryDelayMs ?? 1000,
  };
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const http = createHttp(options);
  const budget = new TokenBudget(options.pace ?? UPLOAD_PACE);

  return {
    async upload(workspaceId, objects) {
      if (objects.length === 0) return { rejected: new Map() };
      checkBatch(workspaceId, objects);
      const request: UploadRequest = {
        url: `${endpoint}/workspaces/${workspaceId}/threat-intelligence-stix-objects:upload?api-version=${UPLOAD_API_VERSION}`,
        body: JSON.stringify({ sourcesystem: options.sourceSystem, stixobjects: objects }),
        count: objects.length,
      };
      const deadline = runDeadlineSignal();
      for (let attempt = 0; ; attempt += 1) {
        if (deadline?.aborted) throw deadlineError();
        const ticket = await budget.take(deadline).catch(() => {
          throw deadlineError();
        });
        let result: Attempt | undefined;
        try {
          result = await attemptUpload(http, request, options.credential, retry, attempt, deadline);
        } finally {
          budget.settle(
            ticket,
            undefined,
            result !== undefined && 'failure' in result && result.failure.statusCode === 429,
          );
        }
        if ('answer' in result) return result.answer;
        if (result.wait === undefined || attempt >= retry.maxRetries) throw result.failure;
        const { wait, failure } = result;
        logger.debug({ attempt: attempt + 1, waitMs: Math.round(wait), error: failure.message }, 'upload retry');
        await pause(wait, deadline);
      }
    },
  };
}
