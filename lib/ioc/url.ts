/**
 * URL normalisation without WHATWG serialisation: `new URL()` re-encodes paths, resolves `..`,
 * turns `\` into `/` and rewrites hosts, so the indicator would no longer be the string that was
 * served. Here only the scheme and host are canonicalised; everything after the host is kept
 * byte for byte, once it has been checked to contain nothing a URI may not contain.
 */
import { type Check, checkVisible, describeChar, fail, normaliseUrlHost, ok, parsePort } from './host';

/** Schemes a ThreatFox URL or a pasted one may carry; anything else is rejected by name. */
export const URL_SCHEMES = ['http', 'https', 'ftp', 'ftps', 'ws', 'wss'] as const;

/** Default ports of the schemes whose hunting query key drops them (lib/kql/queries/match.ts urlKeyExpr). */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** Same limit as the ThreatFox record schema. */
export const MAX_URL_LENGTH = 4096;

/** scheme://authority then the rest (path, query, fragment), as RFC 3986 appendix B splits it. */
const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;

/**
 * Characters RFC 3986 never allows unencoded in a URI. Quotes, backslash, pipe and angle brackets
 * are also the ones that break out of query languages and markup downstream. `;` and `'` are
 * legal URI sub-delimiters (`;jsessionid=`), so they are kept and escaped by whoever emits KQL/STIX.
 */
const NOT_IN_URI = /["<>\\^`{|}]/;
const USERINFO = /^[A-Za-z0-9\-._~%!$&'()*+,;=:]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

export interface NormalisedUrl {
  value: string;
  /** Canonical host (domain, IPv4, or IPv6 without brackets). */
  host: string;
  hostType: 'domain' | 'ipv4' | 'ipv6';
  port?: number;
}

/** True when the value starts with `scheme://`, i.e. the user meant a URL. */
export function hasScheme(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value);
}

export function normaliseUrl(raw: string): Check<NormalisedUrl> {
  if (raw.length > MAX_URL_LENGTH)
    return fail(`URL is ${raw.length} characters long, the maximum is ${MAX_URL_LENGTH}`);
  const visible = checkVisible(raw);
  if (!visible.ok) return visible;
  const badChar = NOT_IN_URI.exec(raw);
  if (badChar) return fail(`contains a character not allowed in a URL: ${describeChar(badChar[0])}`);
  if (BAD_PERCENT.test(raw)) return fail('contains a "%" that is not a %XX escape');

  const [, rawScheme, authority, rest] = URL_SHAPE.exec(raw) ?? [];
  if (rawScheme === undefined || authority === undefined || rest === undefined)
    return fail('is not a URL of the form scheme://host/path');
  const scheme = rawScheme.toLowerCase();
  if (!(URL_SCHEMES as readonly string[]).includes(scheme)) {
    return fail(`URL scheme "${scheme}" is not supported (expected one of ${URL_SCHEMES.join(', ')})`);
  }

  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = authority.slice(at + 1);
  if (userinfo !== undefined && !USERINFO.test(userinfo))
    return fail('URL user information contains characters a URL may not carry');

  const [, rawHost, rawPort] = /^(\[[^\]]*\]|[^:[\]]*)(?::([^:]*))?$/.exec(hostPort) ?? [];
  if (rawHost === undefined) return fail(`URL authority "${hostPort}" is not host[:port]`);
  if (rawHost === '' || rawHost === '[]') return fail('URL has no host');

  let port: number | undefined;
  if (rawPort !== undefined && rawPort !== '') {
    const p = parsePort(rawPort);
    if (!p.ok) return p;
    // The scheme's default port is the same URL without it (RFC 3986 section 6.2.3); others are kept.
    port = p.value === DEFAULT_PORTS[scheme] ? undefined : p.value;
  }

  const canonical = normaliseUrlHost(rawHost);
  if (!canonical.ok) return canonical;
  const { value: host, type: hostType } = canonical.value;

  const hostText = hostType === 'ipv6' ? `[${host}]` : host;
  const value = `${scheme}://${userinfo !== undefined ? `${userinfo}@` : ''}${hostText}${port !== undefined ? `:${port}` : ''}${rest}`;
  return ok({ value, host, hostType, ...(port !== undefined ? { port } : {}) });
}
