import { createPipelineRequest, isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { errorLine } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { isRunDeadlineError, RUN_DEADLINE } from '../net/deadline';
import { TokenBudget, type BucketShape } from '../net/tokenBudget';
import type { StixIndicator } from './stixObject';
import { createUploadPipeline } from './uploadPipeline';

/**
 * Client of Microsoft Sentinel's STIX objects upload API:
 * `POST {endpoint}/workspaces/{workspaceId}/threat-intelligence-stix-objects:upload?api-version=2024-02-01-preview`
 * with `{"sourcesystem", "stixobjects": [≤ 100]}` and a token for ARM's audience. The service
 * answers 200 with an empty body, or with `{"errors": [{recordIndex, errorMessages}]}` naming the
 * objects it refused (the others were taken); 429 when over 100 requests a minute.
 *
 * It runs on the Azure SDK's HTTP pipeline, as the ARM clients do (lib/sentinel/uploadPipeline):
 * every attempt waits for a token of one budget per client (UPLOAD_PACE), so the service's rate
 * limit is kept to rather than hit (a 429 empties the budget); 429 waits for `Retry-After` (or the
 * seconds the message names), capped; 5xx, timeouts and network faults back off exponentially
 * with jitter. Re-sending a batch is safe: object ids are derived from source + pattern, so a
 * batch that took effect before its answer was lost only updates what it created. A run's
 * deadline (lib/net/deadline) ends a request in flight or a wait.
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

/** One line from an error answer (errorLine's); never the request (it carries the token). */
function answerText(status: number, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as {
    error?: { code?: unknown; message?: unknown };
    message?: unknown;
  };
  const text = b.error?.message ?? b.message;
  const code = typeof b.error?.code === 'string' ? b.error.code : undefined;
  return errorLine({ statusCode: status, code, message: typeof text === 'string' ? text : '' });
}

export interface UploadClient {
  /** Uploads one batch (≤ 100) to the workspace with this customer id (the Log Analytics workspace id). */
  upload(workspaceId: string, objects: StixIndicator[]): Promise<UploadAnswer>;
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
  const parsed = data === undefined ? undefined : answerSchema.safeParse(data);
  if (!parsed?.success)
    throw new UploadError(`unexpected upload answer: ${parsed?.error.issues[0]?.message ?? 'not JSON'}`, {
      statusCode: status,
    });
  const rejected = new Map<number, string>();
  for (const e of parsed.data.errors) {
    if (e.recordIndex >= count) continue;
    rejected.set(e.recordIndex, e.errorMessages.join('; ').slice(0, 500) || 'refused by the service');
  }
  return { rejected };
}

/** The body of an answer as JSON: an empty body is `{}`; undefined when it is not JSON. */
function jsonBody(text: string | null | undefined): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A failure to send or to hear back, as one line; never the request (it carries the token). */
function transportError(e: unknown): unknown {
  if (isRunDeadlineError(e)) return deadlineError();
  if (!isRestError(e)) return e;
  const code = e.code ?? 'network error';
  return new UploadError(`upload request failed: ${code}`, { code });
}

export function createUploadClient(options: UploadClientOptions): UploadClient {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const { pipeline, httpClient } = createUploadPipeline({
    endpoint,
    credential: options.credential,
    scope: UPLOAD_TOKEN_SCOPE,
    pace: new TokenBudget(options.pace ?? UPLOAD_PACE),
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 10,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    retryDelayMs: options.retryDelayMs ?? 1000,
    tlsCa: options.tlsCa,
    logger: options.logger ?? silentLogger,
  });

  return {
    async upload(workspaceId, objects) {
      if (objects.length === 0) return { rejected: new Map() };
      checkBatch(workspaceId, objects);
      const request = createPipelineRequest({
        url: `${endpoint}/workspaces/${workspaceId}/threat-intelligence-stix-objects:upload?api-version=${UPLOAD_API_VERSION}`,
        method: 'POST',
        body: JSON.stringify({ sourcesystem: options.sourceSystem, stixobjects: objects }),
      });
      request.headers.set('Content-Type', 'application/json');
      request.headers.set('Accept', 'application/json');
      const response = await pipeline.sendRequest(httpClient, request).catch((e: unknown) => {
        throw transportError(e);
      });
      const body = jsonBody(response.bodyAsText);
      if (response.status >= 200 && response.status < 300) return parseAnswer(response.status, body, objects.length);
      throw new UploadError(answerText(response.status, body), { statusCode: response.status });
    },
  };
}
