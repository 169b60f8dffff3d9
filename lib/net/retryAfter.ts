/**
 * How long a service asks us to wait before trying again: the one reading of `Retry-After` and
 * its millisecond variants, for every client (ARM's cap policy, the upload API, ThreatFox).
 */

/** Azure's millisecond headers, read before `Retry-After` (in this order, as the Azure SDKs do). */
export const RETRY_AFTER_MS_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'] as const;

/** Answer headers as any client gives them: a getter (HttpHeaders, AxiosHeaders) or a plain object. */
export type HeaderSource = { get(name: string): unknown } | Readonly<Record<string, unknown>>;

const DIGITS = /^\d+(?:\.\d+)?$/;

/** A millisecond header's value: a plain non-negative number, else undefined. */
export function parseRetryAfterMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DIGITS.test(value.trim())) return undefined;
  const ms = Number(value.trim());
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or
 * unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (DIGITS.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // HTTP-dates name a weekday and month; this keeps Date.parse from reading "-5" as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** One header's value, whether the headers come as a getter or a plain object (any case of name). */
export function headerValue(headers: HeaderSource, name: string): unknown {
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') return (headers as { get(name: string): unknown }).get(name);
  const record = headers as Readonly<Record<string, unknown>>;
  if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : record[key];
}

/**
 * The wait an answer asks for, in ms: `retry-after-ms`, then `x-ms-retry-after-ms`, then
 * `Retry-After`; the first one readable wins. Undefined when none is.
 */
export function retryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  for (const name of RETRY_AFTER_MS_HEADERS) {
    const ms = parseRetryAfterMs(headerValue(headers, name));
    if (ms !== undefined) return ms;
  }
  return parseRetryAfter(headerValue(headers, 'retry-after'), now);
}
