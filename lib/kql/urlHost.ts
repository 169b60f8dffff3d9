import { type Allowlist, isWellKnownHost } from '../ioc/benign';

/** Host of a URL, lower-case, without brackets, port or trailing root dot; undefined if it has none. */
export function urlHost(url: string): string | undefined {
  try {
    const host = new URL(url).hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    return host || undefined;
  } catch {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]+)/i.exec(url);
    return m?.[1]?.toLowerCase().replace(/^\[|\]$/g, '');
  }
}

/** True for an IPv4 or IPv6 literal as `urlHost` returns it. */
export function isIpHost(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/**
 * The host of a URL IOC that is hunted on its own (as a domain, or as an IP when the URL is on a
 * bare address), or undefined when it must not be: a payload on a file-sharing or code-hosting
 * site (`isWellKnownHost`), or on a host the tenant allow-listed (BENIGN_ALLOWLIST, `allow`), stays
 * a URL hunt, and the whole site never becomes a hit.
 *
 * Both query forms use this one decision: the inline form calls it while building the lists, and
 * the indicator mapper writes its answer on the URL indicator as the label `hunt-host:<host>`,
 * which the ThreatIntelIndicators form reads (a saved search cannot call this at query time).
 */
export function huntedUrlHost(url: string, allow?: Allowlist): string | undefined {
  const host = urlHost(url);
  if (!host || isWellKnownHost(host, allow)) return undefined;
  return host;
}
