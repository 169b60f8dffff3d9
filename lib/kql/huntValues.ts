import ipaddr from 'ipaddr.js';
import type { Ioc } from '../ioc/types';
import { isIpHost } from '../ioc/urlHost';
import { byCodeUnit, sortedUnique } from '../sort';

/** The values one family's IOCs are hunted by, per kind (the inline form's lists). */
export interface HuntValues {
  /** IP → ports ThreatFox reported (none for a URL's bare-IP host). */
  ips: Map<string, number[]>;
  domains: string[];
  urls: string[];
  /** The web tables' pre-filter terms: hunted domains and URL hosts, and `urlPrefilterTerm` of the other URLs. */
  hosts: string[];
  /** Domain or IP hunted only as the host of URL IOCs → those URLs. */
  hostSources: Map<string, string[]>;
  sha256: string[];
  sha1: string[];
  md5: string[];
}

type HashKind = 'sha256' | 'sha1' | 'md5';

/**
 * Something new in a HuntValueSet: a value in a list, a port for an IP, a URL for a host hunted on
 * its URLs' behalf, or a host that is an IOC of its own (its URLs then are not listed for it).
 */
export type HuntValueAdded =
  | { list: 'ip'; ip: string }
  | { list: 'port'; ip: string; port: number }
  | { list: 'domain' | 'url' | 'host' | HashKind; value: string }
  | { list: 'hostSource'; host: string; url: string }
  | { list: 'ownHost'; host: string };

/**
 * The values IOCs are hunted by, gathered one IOC at a time, each once. `added` hears of every new
 * value as it comes, which lets the split count a query's length without writing the query.
 */
export class HuntValueSet {
  readonly ips = new Map<string, Set<number>>();
  readonly domains = new Set<string>();
  readonly hosts = new Set<string>();
  readonly urls = new Set<string>();
  /** IPs and domains that are IOCs themselves. */
  readonly ownHosts = new Set<string>();
  /** Hunted URL host → the URLs on it. */
  readonly hostSources = new Map<string, Set<string>>();
  readonly hashes: Record<HashKind, Set<string>> = { sha256: new Set(), sha1: new Set(), md5: new Set() };

  constructor(private readonly added?: (event: HuntValueAdded) => void) {}

  /** What an IOC is hunted as: its own value, and for a URL also its host when it carries one (`Ioc.huntedHost`). */
  add(ioc: Ioc): void {
    switch (ioc.type) {
      case 'ipv4':
      case 'ipv6': {
        const ip = ioc.value.toLowerCase();
        this.addIp(ip, ioc.port);
        this.addOwnHost(ip);
        break;
      }
      case 'domain': {
        const d = ioc.value.toLowerCase().replace(/\.$/, '');
        this.addTo(this.domains, 'domain', d);
        this.addTo(this.hosts, 'host', d);
        this.addOwnHost(d);
        break;
      }
      case 'url': {
        this.addTo(this.urls, 'url', ioc.value);
        const hunted = ioc.huntedHost;
        if (!hunted) {
          this.addTo(this.hosts, 'host', urlPrefilterTerm(ioc.value));
          break;
        }
        this.addTo(this.hosts, 'host', hunted);
        if (isIpHost(hunted)) this.addIp(hunted);
        else this.addTo(this.domains, 'domain', hunted);
        let urls = this.hostSources.get(hunted);
        if (!urls) this.hostSources.set(hunted, (urls = new Set()));
        if (!urls.has(ioc.value)) {
          urls.add(ioc.value);
          this.added?.({ list: 'hostSource', host: hunted, url: ioc.value });
        }
        break;
      }
      case 'sha256':
      case 'sha1':
      case 'md5':
        this.addTo(this.hashes[ioc.type], ioc.type, ioc.value.toLowerCase());
    }
  }

  /** The lists as a query writes them: sorted, each host's URLs listed only when the host is no IOC of its own. */
  sorted(): HuntValues {
    return {
      ips: new Map(
        [...this.ips.keys()].sort(byCodeUnit).map((ip) => [ip, [...this.ips.get(ip)!].sort((a, b) => a - b)]),
      ),
      domains: sortedUnique(this.domains),
      urls: sortedUnique(this.urls),
      hosts: sortedUnique(this.hosts),
      hostSources: new Map(
        [...this.hostSources.keys()]
          .filter((h) => !this.ownHosts.has(h))
          .sort(byCodeUnit)
          .map((h) => [h, sortedUnique(this.hostSources.get(h)!)]),
      ),
      sha256: sortedUnique(this.hashes.sha256),
      sha1: sortedUnique(this.hashes.sha1),
      md5: sortedUnique(this.hashes.md5),
    };
  }

  private addTo(set: Set<string>, list: 'domain' | 'url' | 'host' | HashKind, value: string): void {
    if (set.has(value)) return;
    set.add(value);
    this.added?.({ list, value });
  }

  private addIp(ip: string, port?: number): void {
    let ports = this.ips.get(ip);
    if (!ports) {
      this.ips.set(ip, (ports = new Set()));
      this.added?.({ list: 'ip', ip });
    }
    if (port !== undefined && Number.isInteger(port) && !ports.has(port)) {
      ports.add(port);
      this.added?.({ list: 'port', ip, port });
    }
  }

  private addOwnHost(host: string): void {
    if (this.ownHosts.has(host)) return;
    this.ownHosts.add(host);
    this.added?.({ list: 'ownHost', host });
  }
}

/** What these IOCs are hunted as, sorted: the inline form's lists. */
export function huntValues(iocs: readonly Ioc[]): HuntValues {
  const set = new HuntValueSet();
  for (const ioc of iocs) set.add(ioc);
  return set.sorted();
}

/**
 * The pre-filter term of a URL whose host is not hunted on its own (well-known or allow-listed):
 * host and path, lower-case, without scheme, user, query or fragment. `has_any` matches it as a
 * phrase, so the pre-filter keeps that URL's rows and never the whole site's.
 */
export function urlPrefilterTerm(url: string): string {
  return url
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*@)?/, '')
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '');
}

/**
 * The forms an IP is logged in, lower-case: as is, IPv4-mapped (`::ffff:a.b.c.d`, Defender's form for
 * IPv4 peers of dual-stack sockets) and, for IPv6, written out in full as `parse_ipv6()` gives it, so
 * `2001:DB8::5` and `2001:0db8:0000:...:0005` both meet the compressed IOC `2001:db8::5`.
 */
export function ipForms(ip: string): string[] {
  const forms = [ip.toLowerCase()];
  try {
    const parsed = ipaddr.parse(ip);
    if (parsed.kind() === 'ipv4') forms.push(`::ffff:${ip}`);
    else
      forms.push(
        (parsed as ipaddr.IPv6)
          .toNormalizedString()
          .split(':')
          .map((g) => g.padStart(4, '0'))
          .join(':')
          .toLowerCase(),
      );
  } catch {
    // Not an address (hostile input in tests): matched only as written.
  }
  return sortedUnique(forms);
}
