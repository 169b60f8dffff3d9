import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { configError, SyncError } from '../errors';
import type { Rejected } from '../ioc/types';
import { silentLogger, type Logger } from '../logger';
import { GENERATOR } from '../names';
import { sleep } from '../net/sleep';
import { parseRecords, threatFoxResponseSchema, type ThreatFoxRecord } from './schema';

/**
 * The ThreatFox API client: one POST per query, `Auth-Key` header, JSON both ways.
 * Every `query_status` is mapped to a result or to an error that names the setting to fix;
 * transient failures (network, timeout, 429, 5xx) are retried with backoff. The Auth-Key
 * never leaves this module in an error, a cause or a log line.
 */

export interface FetchResult {
  records: ThreatFoxRecord[];
  rejected: Rejected[];
}

export interface ThreatFoxSource {
  /** malwareinfo: {query:'malwareinfo', malware, limit} (limit up to 1000; the API default is only 100) */
  byMalware(malware: string, limit: number): Promise<FetchResult>;
  /**
   * get_iocs: {query:'get_iocs', days} (1-7, filtered on first seen).
   * `malware`, when given, lets the source drop other families before validating them, so a broken
   * record of a family nobody asked for is not reported as rejected. Callers still filter.
   */
  recent(days: number, malware?: readonly string[]): Promise<FetchResult>;
}

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

/** Socket-level failures worth another try; anything else without a response is a bug or bad setting. */
const TRANSIENT_NETWORK_CODES = new Set([
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

/**
 * Retry-After in ms: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable.
 * A date in the past means "now".
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates name a weekday and month; this keeps Date.parse from reading "-5" as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter: a random wait in [0, base·2^(retry-1)], capped. */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * random());
}

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

/** What a failed attempt was, and whether another one could succeed. */
interface Failure {
  retryable: boolean;
  /** For the final error message, e.g. "HTTP 503" or "timed out after 30000 ms". */
  what: string;
  retryAfterMs?: number;
  /** What the server said, for the final message only (logs stay short). */
  detail?: string;
  cause?: Error;
}

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
    const attempts = this.maxRetries + 1;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body);
      if (!('retryable' in outcome)) return this.interpret(outcome, body);
      const failure = outcome;
      const last = attempt >= attempts;
      if (!failure.retryable || last) {
        const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        const why = failure.retryable ? `gave up after ${tries}` : `not retried (${tries})`;
        const detail = failure.detail ? ` (${failure.detail})` : '';
        throw new SyncError(
          'THREATFOX',
          this.scrub(`ThreatFox ${body.query} failed: ${failure.what}${detail}; ${why}`),
          {
            cause: failure.cause,
          },
        );
      }
      const delayMs = failure.retryAfterMs ?? backoffDelay(attempt, this.retryBaseDelayMs, this.maxRetryDelayMs);
      if (delayMs > this.maxRetryDelayMs) {
        throw new SyncError(
          'THREATFOX',
          this.scrub(
            `ThreatFox ${body.query} failed: ${failure.what} and asked us to retry after ${Math.ceil(delayMs / 1000)} s, longer than the ${Math.ceil(this.maxRetryDelayMs / 1000)} s we wait; try again later`,
          ),
        );
      }
      this.log.warn(
        { query: body.query, attempt, maxAttempts: attempts, delayMs, reason: this.scrub(failure.what) },
        'ThreatFox request failed; retrying',
      );
      await sleep(delayMs);
    }
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
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
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
      return { retryable: false, what: `the answer was unusable (${snippet(message)})`, cause };
    }
    const named = typeof code === 'string' ? ` ${code}` : '';
    return {
      retryable: typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code),
      what: `network error${named} (${snippet(message)})`,
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
      // The `ioc` query answers one record, an object, where the others answer a list.
      if (body.query === 'ioc' && envelope.data && typeof envelope.data === 'object' && !Array.isArray(envelope.data))
        return [envelope.data];
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

export interface PullOptions {
  malware: string[];
  mode: 'recent' | 'full';
  days: number;
  limit: number;
}

/**
 * Pulls the configured families: mode 'recent' = one get_iocs call filtered to the families;
 * 'full' = malwareinfo per family. perFamily counts records kept per family.
 */
export async function pullFamilies(
  source: ThreatFoxSource,
  options: PullOptions,
): Promise<FetchResult & { perFamily: Record<string, number> }> {
  const families = [...new Set(options.malware.map((m) => m.trim().toLowerCase()).filter(Boolean))];
  if (families.length === 0)
    throw configError(
      'THREATFOX_MALWARE names no malware family: set it to ids such as win.netsupportmanager_rat',
      'THREATFOX_MALWARE',
    );
  const perFamily: Record<string, number> = Object.fromEntries(families.map((f) => [f, 0]));
  const records: ThreatFoxRecord[] = [];
  const rejected: Rejected[] = [];

  if (options.mode === 'recent') {
    const got = await source.recent(options.days, families);
    for (const r of got.records) {
      const family = r.malware.toLowerCase();
      if (Object.hasOwn(perFamily, family)) {
        // not `in`: a record of family "constructor" is not one we asked for
        perFamily[family] = (perFamily[family] ?? 0) + 1;
        records.push(r);
      }
    }
    rejected.push(...got.rejected);
    return { records, rejected, perFamily };
  }

  // One family at a time: ThreatFox rate-limits per key, and the answers are small.
  const seen = new Set<string>();
  for (const family of families) {
    const got = await source.byMalware(family, options.limit);
    for (const r of got.records) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      perFamily[family] = (perFamily[family] ?? 0) + 1;
      records.push(r);
    }
    rejected.push(...got.rejected);
  }
  return { records, rejected, perFamily };
}
