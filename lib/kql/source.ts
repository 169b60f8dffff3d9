import ipaddr from 'ipaddr.js';
import type { Allowlist } from '../ioc/benign';
import { countOf } from '../ioc/mix';
import type { Ioc } from '../ioc/types';
import { byCodeUnit, sortedUnique } from '../sort';
import { kqlDynamicList, kqlString } from './literal';
import { urlKeyExpr } from './urlKey';
import { huntedUrlHost, isIpHost } from './urlHost';

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

/** What a query matches on: an IP (any of its logged forms), a domain, a URL or a file hash. */
export type HuntKind = 'ip' | 'domain' | 'url' | 'sha256' | 'sha1' | 'md5';

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

const LIST_ORDER: readonly ListName[] = [
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
  has(kind: HuntKind): boolean;
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

/** What each IOC is hunted as: its own value, and for a URL also its host (unless well-known or in `allow`). */
export function huntValues(iocs: readonly Ioc[], allow?: Allowlist): HuntValues {
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
        const hunted = huntedUrlHost(ioc.value, allow);
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
const HASH_LISTS = { iocSha256: 'sha256', iocSha1: 'sha1', iocMd5: 'md5' } as const;

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
  options: { kinds: readonly HuntKind[]; iocMix: string; allow?: Allowlist },
): IocSource & { longestList: number } {
  const v = huntValues(iocs, options.allow);
  const counts: Record<HuntKind, number> = {
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

/**
 * How long before the time range ThreatIntelIndicators is read for the latest version of each
 * indicator: the window Microsoft's TI map rules use (`ioc_lookBack = 14d`); Sentinel writes every
 * indicator to the table again within it. Reading from before the range's start keeps indicators
 * that expired since (they still hunt the events of their own validity).
 */
export const INDICATOR_LOOKBACK = '14d';

/** Host and path of a URL column, lower-case: a URL indicator's pre-filter term when its host is not hunted. */
const URL_TERM_REGEX = '@"^(?:[^@/?#]*@)?([^?#]*)"';

/** An indicator that never expires compares as valid at any event time. */
const NEVER = 'datetime(9999-12-31)';

/**
 * The statements every threatIntel query starts with. `familyIndicators`: the latest row per
 * indicator carrying our family label (a label we write ourselves, so the selection does not
 * depend on how the service maps our source), neither deleted nor revoked, expired or not.
 * `ourIndicators`: those of them from INDICATOR_SOURCE (SourceSystem, or Source where the table
 * has it) when any is, else all of them, so an unexpected source mapping narrows nothing rather
 * than empties the hunt. `huntValues`: what they are hunted by, with when each value expires.
 * Columns not every published schema of the table lists are read with `column_ifexists`.
 */
function threatIntelPrelude(indicatorSource: string, label: string): string[] {
  const source = kqlString(indicatorSource);
  return [
    `let indicatorLookback = ${INDICATOR_LOOKBACK};`,
    `let familyIndicators = materialize(ThreatIntelIndicators
    | where TimeGenerated >= starttime - indicatorLookback
    | where set_has_element(Data.labels, ${label})
    | extend IndicatorSource = tostring(column_ifexists("Source", "")),
        Expires = coalesce(ValidUntil, column_ifexists("ExpirationDateTime", datetime(null)), ${NEVER})
    | summarize arg_max(TimeGenerated, *) by Id
    | where not(coalesce(IsDeleted, false)) and not(coalesce(Revoked, false))
    | extend FromOurSource = SourceSystem == ${source} or IndicatorSource == ${source});`,
    'let sourceMapped = toscalar(familyIndicators | summarize countif(FromOurSource)) > 0;',
    `let ourIndicators = materialize(familyIndicators
    | where FromOurSource or not(sourceMapped)
    | extend ObservableType = tostring(split(ObservableKey, ":")[0]),
        HashAlgorithm = toupper(replace_regex(ObservableKey, @"^file:hashes\\.|'", "")),
        HuntHost = extract(@'"hunt-host:([^"]+)"', 1, tostring(Data.labels)));`,
    `let huntValues = materialize(ourIndicators
    | extend Value = iff(ObservableType == "url", ObservableValue, tolower(ObservableValue))
    | extend UrlTerm = iff(ObservableType == "url", extract(${URL_TERM_REGEX}, 1, ${urlKeyExpr('Value')}), "")
    | extend OwnKind = case(ObservableType in ("ipv4-addr", "ipv6-addr"), "ip", ObservableType == "domain-name", "domain",
        ObservableType == "url", "url", HashAlgorithm in ("SHA-256", "SHA256"), "sha256", HashAlgorithm in ("SHA-1", "SHA1"), "sha1",
        HashAlgorithm == "MD5", "md5", "")
    | extend HostKind = case(isempty(HuntHost), "", HuntHost matches regex @"^[0-9.]+$" or HuntHost contains ":", "ip", "domain")
    | mv-expand Hunt = pack_array(bag_pack("Kind", OwnKind, "Value", Value, "Url", ""),
        bag_pack("Kind", iff(ObservableType == "url", "prefilter", ""), "Value", iff(isempty(HuntHost), UrlTerm, HuntHost), "Url", ""),
        bag_pack("Kind", HostKind, "Value", HuntHost, "Url", Value))
    | extend HuntKind = tostring(Hunt.Kind), HuntValue = tostring(Hunt.Value), SourceUrl = tostring(Hunt.Url)
    | where isnotempty(HuntKind) and isnotempty(HuntValue)
    | summarize Expires = max(Expires), OwnIoc = countif(isempty(SourceUrl)) > 0, SourceUrls = make_set_if(SourceUrl, isnotempty(SourceUrl), 20)
        by HuntKind, HuntValue);`,
  ];
}

const scalarList = (name: ListName, kinds: string) =>
  `let ${name} = toscalar(huntValues | where HuntKind in (${kinds}) | summarize make_set(HuntValue));`;

/** One list's `let` statements, read from `huntValues` when the query runs. */
function threatIntelLets(name: ListName): string[] {
  switch (name) {
    case 'iocIpByForm':
      return [
        `let iocIpByForm = toscalar(huntValues
    | where HuntKind == "ip"
    | extend Forms = pack_array(HuntValue, iff(HuntValue contains ":", parse_ipv6(HuntValue), strcat("::ffff:", HuntValue)))
    | mv-expand Form = Forms to typeof(string)
    | summarize make_bag(bag_pack(Form, HuntValue)));`,
        'let iocIpForms = bag_keys(iocIpByForm);',
      ];
    case 'iocIpPorts':
      return [
        `let iocIpPorts = toscalar(ourIndicators
    | where ObservableType in ("ipv4-addr", "ipv6-addr")
    | summarize make_bag(bag_pack(tolower(ObservableValue), parse_json(strcat("[", strcat_array(extract_all(@'"port:(\\d+)"', tostring(Data.labels)), ","), "]")))));`,
      ];
    case 'iocDomains':
      return [scalarList(name, '"domain"')];
    case 'iocUrls':
      return [scalarList(name, '"url"')];
    case 'iocHosts':
      return [scalarList(name, '"domain", "prefilter"')];
    case 'iocHostSources':
      return [
        `let iocHostSources = toscalar(huntValues
    | where HuntKind in ("domain", "ip") and not(OwnIoc)
    | summarize make_bag(bag_pack(HuntValue, SourceUrls)));`,
      ];
    case 'iocSha256':
    case 'iocSha1':
    case 'iocMd5':
      return [scalarList(name, kqlString(HASH_LISTS[name]))];
  }
}

const overLimit = (list: string) => `array_length(${list}) > ${MAX_HAS_ANY}`;

/** The family's indicators in ThreatIntelIndicators, read when the query runs. */
export function threatIntelSource(options: { familyId: string; indicatorSource: string }): IocSource {
  const label = kqlString(`malware:${options.familyId}`);
  return {
    form: 'threatIntel',
    has: () => true,
    lets: (names) =>
      [
        ...threatIntelPrelude(options.indicatorSource, label),
        ...LIST_ORDER.filter((n) => names.includes(n)).flatMap(threatIntelLets),
        'let iocValidity = huntValues | where HuntKind != "prefilter" | summarize IocExpires = max(Expires) by MatchedIoc = HuntValue;',
      ].join('\n'),
    validity: () => '| lookup kind=inner iocValidity on MatchedIoc\n| where TimeGenerated <= IocExpires\n',
    hasAny: (column, list) => `(${column} has_any (${list}) or ${overLimit(list)})`,
    parserList: (list) => `iff(${overLimit(list)}, dynamic([]), ${list})`,
    headerLine: () =>
      `// IOCs read when the query runs from ThreatIntelIndicators: the family's indicators (label ${label}; source ${kqlString(options.indicatorSource)} when the table maps it), expired ones included, each matching events up to its ValidUntil; new or expired IOCs need no change to this query.`,
  };
}
