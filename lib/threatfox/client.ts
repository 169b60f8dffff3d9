import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { configError, errorLine, SyncError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { GENERATOR } from '../names';
import { retryAfterMs } from '../net/retryAfter';
import { TRANSIENT_NETWORK_CODES, withRetries, type Failure } from './retry';
import { parseRecords, threatFoxResponseSchema } from './schema';
import type { FetchResult, ThreatFoxSource } from './source';

/**
 * The ThreatFox API client: one POST per query, `Auth-Key` header, JSON both ways.
 * Every `query_status` is mapped to a result or to an error that names the setting to fix;
 * transient failures (network, timeout, 429, 5xx) are retried with backoff. The Auth-Key
 * never leaves this module in an error, a cause or a log line.
 */

export interface ThreatFoxClientOptions {
  apiUrl: string;
  authKey: string;
  /** Per attempt, for the whole request (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff; doubles each retry, with full jitter (default 1 s). */
  retryBaseDelayMs?: number;
  /** Longest single wait, backoff or Retry-After; a longer Retry-After ends the retries (default 60 s). */
  maxRetryDelayMs?: number;
  logger?: Logger;
}

export const THREATFOX_DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 4,
  retryBaseDelayMs: 1_000,
  maxRetryDelayMs: 60_000,
} as const;

/** A `get_iocs` answer for 7 days is a few MB; anything far bigger is not ThreatFox. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_LIMIT = 1000;
const KEY_HELP = 'get a free Auth-Key at https://auth.abuse.ch/';

/** Server text goes into messages: one line, printable, short. */
function snippet(value: unknown, max = 200): string {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))
    .replace(/[^\P{Cc}\u0080-\u009f]+/gu, ' ') // C0 controls and DEL
    .trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

type Query =
  | { query: 'malwareinfo'; malware: string; limit: number }
  | { query: 'get_iocs'; days: number }
  | { query: 'ioc'; id: number };

export class ThreatFoxClient implements ThreatFoxSource {
  private readonly http: AxiosInstance;
  private readonly apiUrl: string;
  private readonly authKey: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly log: Logger;

  constructor(options: ThreatFoxClientOptions) {
    const key = options.authKey?.trim() ?? '';
    // A header value cannot hold control characters or spaces; say so without echoing the key.
    if (!key || !/^[\x21-\x7e]+$/.test(key)) {
      throw configError(`THREATFOX_AUTH_KEY is empty or contains characters an Auth-Key cannot have: ${KEY_HELP}`);
    }
    this.authKey = key;
    this.apiUrl = options.apiUrl;
    this.timeoutMs = options.timeoutMs ?? THREATFOX_DEFAULTS.timeoutMs;
    this.maxRetries = options.maxRetries ?? THREATFOX_DEFAULTS.maxRetries;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? THREATFOX_DEFAULTS.retryBaseDelayMs;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? THREATFOX_DEFAULTS.maxRetryDelayMs;
    this.log = options.logger ?? silentLogger;
    this.http = axios.create({
      timeout: this.timeoutMs,
      // Statuses are ours to interpret; axios only throws for transport failures.
      validateStatus: () => true,
      // A redirect would carry the Auth-Key header to whatever host it names.
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_RESPONSE_BYTES,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'User-Agent': GENERATOR,
      },
    });
  }

  async byMalware(malware: string, limit: number): Promise<FetchResult> {
    const family = malware.trim();
    if (!family || family.length > 100) {
      throw configError(
        `THREATFOX_MALWARE must name a ThreatFox malware family such as win.netsupportmanager_rat (got ${JSON.stringify(malware)})`,
        'THREATFOX_MALWARE',
      );
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw configError(`THREATFOX_LIMIT must be a whole number from 1 to ${MAX_LIMIT} (got ${limit})`);
    }
    const data = await this.query({ query: 'malwareinfo', malware: family, limit });
    return parseRecords(data);
  }

  async recent(days: number, malware?: readonly string[]): Promise<FetchResult> {
    if (!Number.isInteger(days) || days < 1 || days > 7) {
      throw configError(`THREATFOX_DAYS must be a whole number from 1 to 7 (got ${days})`);
    }
    const data = await this.query({ query: 'get_iocs', days });
    if (!malware) return parseRecords(data);
    const wanted = new Set(malware.map((m) => m.trim().toLowerCase()));
    // A record whose family cannot be read is kept, so parseRecords rejects it with a reason.
    const ours = data.filter((raw) => {
      const family = raw && typeof raw === 'object' ? (raw as { malware?: unknown }).malware : undefined;
      return typeof family !== 'string' || wanted.has(family.trim().toLowerCase());
    });
    return parseRecords(ours);
  }

  /**
   * ioc: {query:'ioc', id} (https://threatfox.abuse.ch/api/#query-id): the record ThreatFox holds
   * under this id, unchecked, or undefined when it has none (`no_result`: removed, or never was).
   */
  async iocById(id: number): Promise<unknown> {
    if (!Number.isSafeInteger(id) || id < 1) throw new SyncError('THREATFOX', `not a ThreatFox IOC id: ${id}`);
    const [record] = await this.query({ query: 'ioc', id });
    return record;
  }

  /** Sends one query (with retries) and returns the `data` array of an `ok` answer, or [] on `no_result`. */
  private async query(body: Query): Promise<unknown[]> {
    const answer = await withRetries(() => this.attempt(body), {
      query: body.query,
      maxRetries: this.maxRetries,
      retryBaseDelayMs: this.retryBaseDelayMs,
      maxRetryDelayMs: this.maxRetryDelayMs,
      log: this.log,
      scrub: (text) => this.scrub(text),
    });
    return this.interpret(answer, body);
  }

  /** One HTTP exchange: a response to interpret, or a failure to retry or report. */
  private async attempt(body: Query): Promise<AxiosResponse<string> | Failure> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let res: AxiosResponse<string>;
    try {
      res = await this.http.post<string>(this.apiUrl, JSON.stringify(body), {
        headers: { 'Auth-Key': this.authKey },
        signal: deadline,
      });
    } catch (err) {
      return this.transportFailure(err, deadline.aborted);
    }
    const status = res.status;
    if (status === 429 || status >= 500) {
      return {
        retryable: true,
        what: `HTTP ${status}`,
        detail: res.data ? snippet(res.data, 120) : undefined,
        retryAfterMs: retryAfterMs(res.headers),
      };
    }
    return res;
  }

  /**
   * axios errors carry the request config, Auth-Key included: never pass one on. The cause we keep is a
   * plain Error with the scrubbed message and the error code.
   */
  private transportFailure(err: unknown, timedOut: boolean): Failure {
    const code = axios.isAxiosError(err) ? err.code : (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    const cause = Object.assign(new Error(this.scrub(message)), { name: 'ThreatFoxTransportError', code });
    if (timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return { retryable: true, what: `timed out after ${this.timeoutMs} ms`, cause };
    }
    if (code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED' || code === 'ERR_BAD_RESPONSE') {
      return { retryable: false, what: `the answer was unusable (${errorLine(cause)})`, cause };
    }
    return {
      retryable: typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code),
      // errorLine: the code, then the message's first line (the one explainer, lib/errors.ts).
      what: `network error ${errorLine(cause)}`,
      cause,
    };
  }

  /** Turns an HTTP answer into data, or the error that tells the user what to fix. */
  private interpret(res: AxiosResponse<string>, body: Query): unknown[] {
    const status = res.status;
    const envelope = parseEnvelope(res.data);
    const queryStatus = envelope?.query_status;
    const detail = typeof envelope?.data === 'string' ? ` (${snippet(envelope.data)})` : '';

    if (status === 401 || status === 403) throw this.authError(queryStatus ?? `HTTP ${status}`, status);
    if (status >= 300 && status < 400) {
      throw new SyncError(
        'THREATFOX',
        `ThreatFox ${body.query} failed: HTTP ${status} redirect to ${snippet(res.headers.location ?? '?')}; not followed (it would carry the Auth-Key): set THREATFOX_API_URL to the final URL`,
      );
    }
    if (status < 200 || status >= 300) {
      // A 4xx will not change on a retry. Let a known query_status speak if the body has one.
      if (queryStatus && queryStatus !== 'ok') this.failOnStatus(queryStatus, detail, body);
      throw new SyncError(
        'THREATFOX',
        this.scrub(`ThreatFox ${body.query} failed: HTTP ${status}${detail || ` ${snippet(res.data)}`}; not retried`),
      );
    }
    if (!envelope) {
      throw new SyncError(
        'THREATFOX',
        this.scrub(
          `ThreatFox ${body.query} answered HTTP ${status} with a body that is not a ThreatFox answer: ${snippet(res.data)}`,
        ),
      );
    }
    if (queryStatus === 'ok') {
      // The `ioc` query answers one record, an object, where the others answer a list. Anything else
      // under "ok" (an empty list above all) is not an answer: only `no_result` may say withdrawn.
      if (body.query === 'ioc') return [oneRecord(envelope.data)];
      if (!Array.isArray(envelope.data)) {
        throw new SyncError('THREATFOX', `ThreatFox ${body.query} answered "ok" without a data array`);
      }
      return envelope.data;
    }
    if (queryStatus === 'no_result') return [];
    return this.failOnStatus(queryStatus ?? '', detail, body);
  }

  private failOnStatus(queryStatus: string, detail: string, body: Query): never {
    switch (queryStatus) {
      case 'unknown_auth_key':
      case 'no_api_key':
      case 'user_blacklisted':
        throw this.authError(queryStatus);
      case 'illegal_malware': {
        const malware = body.query === 'malwareinfo' ? body.malware : '';
        throw configError(
          `THREATFOX_MALWARE: ThreatFox does not know the malware ${JSON.stringify(malware)} (query_status illegal_malware${detail}). Use ThreatFox malware ids such as win.netsupportmanager_rat (list: https://threatfox.abuse.ch/browse/)`,
          'THREATFOX_MALWARE',
        );
      }
      case 'illegal_days': {
        const days = body.query === 'get_iocs' ? body.days : '?';
        throw configError(
          `THREATFOX_DAYS: ThreatFox refused days=${days} (query_status illegal_days${detail}); use a whole number from 1 to 7`,
        );
      }
      default:
        throw new SyncError(
          'THREATFOX',
          this.scrub(
            `ThreatFox ${body.query} answered an unexpected query_status ${JSON.stringify(snippet(queryStatus, 80))}${detail}`,
          ),
        );
    }
  }

  private authError(reason: string, httpStatus?: number): SyncError {
    const http = httpStatus ? `HTTP ${httpStatus}, ` : '';
    const why =
      reason === 'user_blacklisted'
        ? 'ThreatFox has blacklisted this Auth-Key; contact abuse.ch'
        : reason === 'no_api_key'
          ? 'ThreatFox received no Auth-Key'
          : 'ThreatFox refused the Auth-Key';
    return configError(`${why} (${http}${snippet(reason, 80)}): check THREATFOX_AUTH_KEY (${KEY_HELP})`);
  }

  /** Belt and braces: whatever text we build, the key is not in it. */
  private scrub(text: string): string {
    return text.split(this.authKey).join('[redacted]');
  }
}

/** The `{query_status, data}` envelope, or undefined when the body is not one. */
function parseEnvelope(text: unknown): { query_status?: string; data?: unknown } | undefined {
  if (typeof text !== 'string') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = threatFoxResponseSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The record of an `ok` answer to the `ioc` query: an object, or a list of exactly one. */
function oneRecord(data: unknown): object {
  const record: unknown = Array.isArray(data) && data.length === 1 ? data[0] : data;
  if (record && typeof record === 'object' && !Array.isArray(record)) return record;
  throw new SyncError('THREATFOX', 'ThreatFox ioc answered "ok" without the record asked for');
}
