import { type Allowlist, EMPTY_ALLOWLIST, isWellKnownHost } from './benign';
import type { Ioc } from './types';

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
 * Decided once, where the IOC is normalised, and carried on it as `Ioc.huntedHost`: both query
 * forms read that field (the inline form while building its lists; the indicator mapper writes it
 * on the URL indicator as the label `hunt-host:<host>`, which the ThreatIntelIndicators form
 * reads), so the allow-list never travels past normalisation.
 */
export function huntedUrlHost(url: string, allow: Allowlist = EMPTY_ALLOWLIST): string | undefined {
  const host = urlHost(url);
  return host && !isWellKnownHost(host, allow) ? host : undefined;
}

/**
 * The IOC with its hunted host decided (`Ioc.huntedHost`): set on a URL whose host is hunted, left
 * as is otherwise. Normalisation calls it for every IOC it makes; the queue job calls it for the
 * IOCs of a message the previous version wrote (they carry no decision). A URL that already
 * carries a host keeps it, and one without is decided again: with the same allow-list that is the
 * answer it was given (or would have been).
 */
export function withHuntedHost<T extends Pick<Ioc, 'type' | 'value' | 'huntedHost'>>(
  ioc: T,
  allow: Allowlist = EMPTY_ALLOWLIST,
): T & Pick<Ioc, 'huntedHost'> {
  if (ioc.type !== 'url' || ioc.huntedHost !== undefined) return ioc;
  const huntedHost = huntedUrlHost(ioc.value, allow);
  return huntedHost === undefined ? ioc : { ...ioc, huntedHost };
}

/**
 * The IOC as read, without `huntedHost`: that is the tenant's decision (BENIGN_ALLOWLIST), not the
 * feed's, and shows in the hunting queries and the indicators' `hunt-host:` labels. What iocs.json
 * and the HTTP dry run's `iocs` show, as before the field existed.
 */
export function withoutHuntedHost({ huntedHost: _decided, ...ioc }: Ioc): Omit<Ioc, 'huntedHost'> {
  return ioc;
}
