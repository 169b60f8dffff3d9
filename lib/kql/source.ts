import ipaddr from 'ipaddr.js';
import type { Allowlist } from '../ioc/benign';
import { countOf } from '../ioc/mix';
import type { Ioc } from '../ioc/types';
import { byCodeUnit, sortedUnique } from '../sort';
import { kqlDynamicList, kqlString } from './literal';
import { huntedUrlHost, isIpHost, urlHost } from './urlHost';

/**
 * Where a hunting query gets its IOCs. The table builders only name lists (`iocDomains`,
 * `iocIpByForm`, ...); a source defines them:
 *
 * - `inline`: the lists are written into the query (`dynamic([...])`), so the query is
 *   self-contained: what `--out`, the report and a dry run export, and what Defender advanced
 *   hunting (which has no ThreatIntelIndicators) can run. It changes with every IOC.
 * - `threatIntel`: the lists are read, when the query runs, from the family's active indicators
 *   in ThreatIntelIndicators, as Microsoft's TI map rules do. The text depends only on the family,
 *   the table and the settings, so a sync that adds, extends or expires IOCs rewrites nothing; a
 *   hit is kept only from the moment its indicator became valid.
 */

export type QueryForm = 'inline' | 'threatIntel';

/** What a query matches on: an IP (any of its logged forms), a domain, a URL or a file hash. */
export type HuntKind = 'ip' | 'domain' | 'url' | 'sha256' | 'sha1' | 'md5';

/**
 * The lists a builder can ask for:
 * `iocIpByForm` maps every logged form of an IOC IP (as is, IPv4-mapped `::ffff:a.b.c.d`, IPv6 written
 * out in full; all lower-case) to the IOC, `iocIpForms` is its keys, `iocIpPorts` the ports ThreatFox
 * reported per IP; `iocDomains` the domains hunted (domain IOCs and URL hosts that are not well-known
 * infrastructure); `iocHosts` the `has_any` pre-filter terms (domains and every URL host).
 */
export type ListName =
  'iocIpByForm' | 'iocIpPorts' | 'iocDomains' | 'iocHosts' | 'iocUrls' | 'iocSha256' | 'iocSha1' | 'iocMd5';

const LIST_ORDER: readonly ListName[] = [
  'iocIpByForm',
  'iocIpPorts',
  'iocDomains',
  'iocUrls',
  'iocHosts',
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
   * from the time its indicator became valid (`MatchedIoc` joined to the indicator's value).
   */
  validity(): string;
  /** The header comment line that says where the IOCs come from. */
  headerLine(): string;
}

/** The values one family's IOCs are hunted by, per kind (the inline form's lists). */
export interface HuntValues {
  /** IP → ports ThreatFox reported (none for a URL's bare-IP host). */
  ips: Map<string, number[]>;
  domains: string[];
  urls: string[];
  /** Domains plus every URL host: the pre-filter terms. */
  hosts: string[];
  sha256: string[];
  sha1: string[];
  md5: string[];
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
  const hashes: Record<'sha256' | 'sha1' | 'md5', Set<string>> = { sha256: new Set(), sha1: new Set(), md5: new Set() };
  for (const ioc of iocs) {
    switch (ioc.type) {
      case 'ipv4':
      case 'ipv6':
        addIp(ioc.value.toLowerCase(), ioc.port);
        break;
      case 'domain': {
        const d = ioc.value.toLowerCase().replace(/\.$/, '');
        domains.add(d);
        hosts.add(d);
        break;
      }
      case 'url': {
        urls.add(ioc.value);
        const host = urlHost(ioc.value);
        if (host) hosts.add(host);
        const hunted = huntedUrlHost(ioc.value, allow);
        if (hunted && isIpHost(hunted)) addIp(hunted);
        else if (hunted) domains.add(hunted);
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
): IocSource {
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
 * How long back ThreatIntelIndicators is read for the latest version of each indicator: the
 * window Microsoft's TI map rules use (`ioc_lookBack = 14d`); Sentinel writes every active
 * indicator to the table again within it.
 */
export const INDICATOR_LOOKBACK = '14d';

/** Host of a URL column, lower-case, brackets dropped: the form `hunt-host:` labels and `iocHosts` use. */
const URL_HOST_REGEX = '@"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(\\[[^\\]/?#]*\\]|[^/:?#]+)"';

/**
 * The statements every threatIntel query starts with: `ourIndicators`, the family's active
 * indicators, and `huntValues`, what they are hunted by (with the time each became valid).
 */
function threatIntelPrelude(indicatorSource: string, label: string): string[] {
  return [
    `let indicatorLookback = ${INDICATOR_LOOKBACK};`,
    `let ourIndicators = materialize(ThreatIntelIndicators
    | where TimeGenerated > ago(indicatorLookback)
    | where SourceSystem == ${kqlString(indicatorSource)}
    | summarize arg_max(TimeGenerated, *) by Id
    | where IsActive and Revoked != true and (isnull(ValidUntil) or ValidUntil > now())
    | where set_has_element(Data.labels, ${label})
    | extend ObservableType = tostring(split(ObservableKey, ":")[0]),
        HashAlgorithm = toupper(replace_regex(ObservableKey, @"^file:hashes\\.|'", "")),
        HuntHost = extract(@'"hunt-host:([^"]+)"', 1, tostring(Data.labels)));`,
    `let huntValues = materialize(ourIndicators
    | extend Value = iff(ObservableType == "url", ObservableValue, tolower(ObservableValue))
    | extend UrlHost = iff(ObservableType == "url", tolower(trim(@"[\\[\\]]", extract(${URL_HOST_REGEX}, 1, Value))), "")
    | extend OwnKind = case(ObservableType in ("ipv4-addr", "ipv6-addr"), "ip", ObservableType == "domain-name", "domain",
        ObservableType == "url", "url", HashAlgorithm in ("SHA-256", "SHA256"), "sha256", HashAlgorithm in ("SHA-1", "SHA1"), "sha1",
        HashAlgorithm == "MD5", "md5", "")
    | extend HostKind = case(isempty(HuntHost), "", HuntHost matches regex @"^[0-9.]+$" or HuntHost contains ":", "ip", "domain")
    | mv-expand Hunt = pack_array(bag_pack("Kind", OwnKind, "Value", Value), bag_pack("Kind", "urlhost", "Value", UrlHost),
        bag_pack("Kind", HostKind, "Value", HuntHost))
    | extend HuntKind = tostring(Hunt.Kind), HuntValue = tostring(Hunt.Value)
    | where isnotempty(HuntKind) and isnotempty(HuntValue)
    | summarize ValidFrom = min(ValidFrom) by HuntKind, HuntValue);`,
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
      return [scalarList(name, '"domain", "urlhost"')];
    case 'iocSha256':
    case 'iocSha1':
    case 'iocMd5':
      return [scalarList(name, kqlString(HASH_LISTS[name]))];
  }
}

/** The family's active indicators in ThreatIntelIndicators, read when the query runs. */
export function threatIntelSource(options: { familyId: string; indicatorSource: string }): IocSource {
  const label = kqlString(`malware:${options.familyId}`);
  return {
    form: 'threatIntel',
    has: () => true,
    lets: (names) =>
      [
        ...threatIntelPrelude(options.indicatorSource, label),
        ...LIST_ORDER.filter((n) => names.includes(n)).flatMap(threatIntelLets),
        'let iocValidity = huntValues | where HuntKind != "urlhost" | summarize IocValidFrom = min(ValidFrom) by MatchedIoc = HuntValue;',
      ].join('\n'),
    validity: () => '| lookup kind=inner iocValidity on MatchedIoc\n| where TimeGenerated >= IocValidFrom\n',
    headerLine: () =>
      `// IOCs read when the query runs from ThreatIntelIndicators: the family's active indicators (SourceSystem ${kqlString(options.indicatorSource)}, label ${label}); new or expired IOCs need no change to this query.`,
  };
}
