import { type Allowlist, EMPTY_ALLOWLIST, isWellKnownHost } from '../ioc/benign';

/**
 * Answers for the URLs seen lately. A family's inline queries are built many times over while their
 * parts are measured (lib/kql/huntingQueries split), each time asking the same URLs' hosts; parsing
 * a URL and walking the popular-sites list once per URL instead keeps a 100k run near its parse
 * time. Bounded: emptied when full, so a long-lived worker does not grow with every URL it sees.
 */
class RecentAnswers<V> {
  private readonly answers = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, compute: (key: string) => V): V {
    if (this.answers.has(key)) return this.answers.get(key) as V;
    const answer = compute(key);
    if (this.answers.size >= this.limit) this.answers.clear();
    this.answers.set(key, answer);
    return answer;
  }
}

const RECENT_URLS = 100_000;
const hostOfUrl = new RecentAnswers<string | undefined>(RECENT_URLS);
/** Per allow-list (the settings' one object, never changed once read), whether a host is well known. */
const wellKnown = new WeakMap<Allowlist, RecentAnswers<boolean>>();

/** Host of a URL, lower-case, without brackets, port or trailing root dot; undefined if it has none. */
export function urlHost(url: string): string | undefined {
  return hostOfUrl.get(url, parseUrlHost);
}

function parseUrlHost(url: string): string | undefined {
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
  if (!host) return undefined;
  const key = allow ?? EMPTY_ALLOWLIST;
  let answers = wellKnown.get(key);
  if (!answers) wellKnown.set(key, (answers = new RecentAnswers<boolean>(RECENT_URLS)));
  return answers.get(host, (h) => isWellKnownHost(h, allow)) ? undefined : host;
}
