import ipaddr from 'ipaddr.js';
import { countOf } from '../ioc/mix';
import type { Ioc, IocKind } from '../ioc/types';
import { byCodeUnit, sortedUnique } from '../sort';
import { kqlDynamicList, kqlString } from './literal';
import { isIpHost } from '../ioc/urlHost';

/**
 * Where a hunting query gets its IOCs. The table builders only name lists (`iocDomains`,
 * `iocIpByForm`, ...); a source defines them:
 *
 * - `inline`: the lists are written into the query (`dynamic([...])`), so the query is
 *   self-contained: what `--out`, the report and a dry run export, and what Defender advanced
 *   hunting (which has no ThreatIntelIndicators) can run. It changes with every IOC.
 * - `threatIntel`: the lists are read, when the query runs, from the family's indicators in
 *   ThreatIntelIndicators, expired ones included. The text depends only on the family, the table
 *   and the settings, so a sync that adds, extends or expires IOCs rewrites nothing. An event
 *   matches an indicator that had not expired when the event happened (ValidUntil empty, or at
 *   or after the event); there is no clip at ValidFrom (first seen is when ThreatFox learnt of a
 *   host, and the contacts before it are the dwell time a hunt is for), as in the inline form.
 */

export type QueryForm = 'inline' | 'threatIntel';

/**
 * The lists a builder can ask for:
 * `iocIpByForm` maps every logged form of an IOC IP (as is, IPv4-mapped `::ffff:a.b.c.d`, IPv6 written
 * out in full; all lower-case) to the IOC, `iocIpForms` is its keys, `iocIpPorts` the ports ThreatFox
 * reported per IP; `iocDomains` the domains hunted (domain IOCs and URL hosts that are not well-known
 * infrastructure); `iocHosts` the `has_any` pre-filter terms of the web tables (the hunted domains
 * and URL hosts, and for a URL whose host is not hunted, its own host and path, never the host
 * alone); `iocHostSources` maps a domain or IP hunted only as a URL IOC's host to those URLs.
 */
export type ListName =
  | 'iocIpByForm'
  | 'iocIpPorts'
  | 'iocDomains'
  | 'iocHosts'
  | 'iocHostSources'
  | 'iocUrls'
  | 'iocSha256'
  | 'iocSha1'
  | 'iocMd5';

/** The order the lists are defined in (a list may reuse one defined before it). */
export const LIST_ORDER: readonly ListName[] = [
  'iocIpByForm',
  'iocIpPorts',
  'iocDomains',
  'iocUrls',
  'iocHosts',
  'iocHostSources',
  'iocSha256',
  'iocSha1',
  'iocMd5',
];

export interface IocSource {
  form: QueryForm;
  /** Whether the query may see IOCs of this kind (inline: there are some; threatIntel: always). */
  has(kind: IocKind): boolean;
  /** The `let` statements that define these lists (and what they are read from), in a fixed order. */
  lets(names: readonly ListName[]): string;
  /**
   * Steps placed after the matches and before the summary: the threatIntel form keeps a hit only
   * while its indicator had not expired (`MatchedIoc` joined to the indicator's value).
   */
  validity(): string;
  /**
   * `column has_any (list)`. The service considers at most MAX_HAS_ANY values of a list: the inline
   * form is split to stay within it; the threatIntel form, whose lists grow with the feed, drops
   * the pre-filter (and scans) rather than let a longer list be cut silently.
   */
  hasAny(column: string, list: string): string;
  /** A list passed to an ASIM parser's `*_has_any*` parameter (an empty list there means no filter). */
  parserList(list: string): string;
  /** The header comment line that says where the IOCs come from. */
  headerLine(): string;
}

/**
 * The most values `has_any` considers (Kusto `has_any` operator reference, microsoft/Kusto-Query-Language
 * doc/has-anyoperator.md: "The search will consider up to 10,000 distinct values").
 */
export const MAX_HAS_ANY = 10_000;

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

/** What each IOC is hunted as: its own value, and for a URL also its host when it carries one (`Ioc.huntedHost`). */
export function huntValues(iocs: readonly Ioc[]): HuntValues {
  const ips = new Map<string, Set<number>>();
  const addIp = (ip: string, port?: number) => {
    const set = ips.get(ip) ?? new Set<number>();
    if (port !== undefined && Number.isInteger(port)) set.add(port);
    ips.set(ip, set);
  };
  const domains = new Set<string>();
  const hosts = new Set<string>();
  const urls = new Set<string>();
  const ownHosts = new Set<string>();
  const hostSources = new Map<string, Set<string>>();
  const hashes: Record<'sha256' | 'sha1' | 'md5', Set<string>> = { sha256: new Set(), sha1: new Set(), md5: new Set() };
  for (const ioc of iocs) {
    switch (ioc.type) {
      case 'ipv4':
      case 'ipv6':
        addIp(ioc.value.toLowerCase(), ioc.port);
        ownHosts.add(ioc.value.toLowerCase());
        break;
      case 'domain': {
        const d = ioc.value.toLowerCase().replace(/\.$/, '');
        domains.add(d);
        hosts.add(d);
        ownHosts.add(d);
        break;
      }
      case 'url': {
        urls.add(ioc.value);
        const hunted = ioc.huntedHost;
        if (!hunted) {
          hosts.add(urlPrefilterTerm(ioc.value));
          break;
        }
        hosts.add(hunted);
        if (isIpHost(hunted)) addIp(hunted);
        else domains.add(hunted);
        hostSources.set(hunted, (hostSources.get(hunted) ?? new Set<string>()).add(ioc.value));
        break;
      }
      case 'sha256':
      case 'sha1':
      case 'md5':
        hashes[ioc.type].add(ioc.value.toLowerCase());
    }
  }
  return {
    ips: new Map([...ips.keys()].sort(byCodeUnit).map((ip) => [ip, [...ips.get(ip)!].sort((a, b) => a - b)])),
    domains: sortedUnique(domains),
    urls: sortedUnique(urls),
    hosts: sortedUnique(hosts),
    hostSources: new Map(
      [...hostSources.keys()]
        .filter((h) => !ownHosts.has(h))
        .sort(byCodeUnit)
        .map((h) => [h, sortedUnique(hostSources.get(h)!)]),
    ),
    sha256: sortedUnique(hashes.sha256),
    sha1: sortedUnique(hashes.sha1),
    md5: sortedUnique(hashes.md5),
  };
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

function bagLiteral(entries: [string, string][]): string {
  return `dynamic({${entries.map(([k, v]) => `${kqlString(k)}: ${v}`).join(', ')}})`;
}

/** The hash list names and the hash kind each holds. */
export const HASH_LISTS = { iocSha256: 'sha256', iocSha1: 'sha1', iocMd5: 'md5' } as const;

/** One list's `let` statements, written out: the values themselves. */
function inlineLets(name: ListName, v: HuntValues, names: readonly ListName[]): string[] {
  const list = (values: readonly string[]) => [`let ${name} = ${kqlDynamicList(values)};`];
  switch (name) {
    case 'iocIpByForm': {
      const entries: [string, string][] = [];
      for (const ip of v.ips.keys()) for (const form of ipForms(ip)) entries.push([form, kqlString(ip)]);
      entries.sort((a, b) => byCodeUnit(a[0], b[0]));
      return [`let iocIpByForm = ${bagLiteral(entries)};`, 'let iocIpForms = bag_keys(iocIpByForm);'];
    }
    case 'iocIpPorts':
      return [
        `let iocIpPorts = ${bagLiteral([...v.ips.entries()].map(([ip, ports]) => [ip, `[${ports.join(', ')}]`]))};`,
      ];
    case 'iocDomains':
      return list(v.domains);
    case 'iocUrls':
      return list(v.urls);
    case 'iocHosts':
      // With no URL hosts to add, reuse the domain list rather than printing it twice.
      return names.includes('iocDomains') &&
        v.hosts.length === v.domains.length &&
        v.hosts.every((h, i) => h === v.domains[i])
        ? ['let iocHosts = iocDomains;']
        : list(v.hosts);
    case 'iocHostSources':
      return [
        `let iocHostSources = ${bagLiteral([...v.hostSources.entries()].map(([host, urls]) => [host, `[${urls.map(kqlString).join(', ')}]`]))};`,
      ];
    case 'iocSha256':
    case 'iocSha1':
    case 'iocMd5':
      return list(v[HASH_LISTS[name]]);
  }
}

/** The lists written into the query: a snapshot of these IOCs. */
export function inlineSource(
  iocs: readonly Ioc[],
  options: { kinds: readonly IocKind[]; iocMix: string },
): IocSource & { longestList: number } {
  const v = huntValues(iocs);
  const counts: Record<IocKind, number> = {
    ip: v.ips.size,
    domain: v.domains.length,
    url: v.urls.length,
    sha256: v.sha256.length,
    sha1: v.sha1.length,
    md5: v.md5.length,
  };
  return {
    form: 'inline',
    has: (kind) => counts[kind] > 0,
    lets: (names) =>
      LIST_ORDER.filter((n) => names.includes(n))
        .flatMap((name) => inlineLets(name, v, names))
        .join('\n'),
    validity: () => '',
    hasAny: (column, list) => `${column} has_any (${list})`,
    parserList: (list) => list,
    // What split keeps within MAX_HAS_ANY (an IP's forms are a has_any list in DnsEvents).
    longestList: Math.max(v.hosts.length, v.domains.length, 2 * v.ips.size),
    headerLine() {
      const hunted = options.kinds
        .filter((k) => counts[k] > 0)
        .map((k) => countOf(counts[k], k))
        .join(', ');
      return `// IOCs inlined (export form, a snapshot): ${options.iocMix}; hunted as ${hunted}. Lists sorted, no timestamp.`;
    },
  };
}
