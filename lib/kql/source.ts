import { countOf } from '../ioc/mix';
import type { Ioc, IocKind } from '../ioc/types';
import { byCodeUnit } from '../sort';
import { huntValues, ipForms, type HuntValues } from './huntValues';
import { kqlDynamicList, kqlDynamicListLength, kqlString } from './literal';

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

function bagLiteral(entries: [string, string][]): string {
  return `dynamic({${entries.map(([k, v]) => `${kqlString(k)}: ${v}`).join(', ')}})`;
}

/** The length of a `bagLiteral` of `count` entries whose `"key": value` texts have `entryChars` characters in all. */
function bagLiteralLength(count: number, entryChars: number): number {
  return 'dynamic({})'.length + entryChars + 2 * Math.max(0, count - 1);
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

/** Characters in the inline lists, by list: what `inlineLetsLength` adds up (kept by lib/kql/inlineLength.ts). */
export interface InlineListChars {
  /** `"form": "ip"` entries of iocIpByForm: how many, and their characters. */
  ipForms: { count: number; chars: number };
  /** `"ip": [ports]` entries of iocIpPorts. */
  ipPorts: { count: number; chars: number };
  /** `"host": [urls]` entries of iocHostSources (hosts that are no IOC of their own). */
  hostSources: { count: number; chars: number };
  /** Literal characters and values of each plain list. */
  domains: { count: number; chars: number };
  urls: { count: number; chars: number };
  hosts: { count: number; chars: number };
  sha256: { count: number; chars: number };
  sha1: { count: number; chars: number };
  md5: { count: number; chars: number };
}

const LIST_CHARS: Record<'iocDomains' | 'iocUrls' | keyof typeof HASH_LISTS, keyof InlineListChars> = {
  iocDomains: 'domains',
  iocUrls: 'urls',
  ...HASH_LISTS,
};

/**
 * The length of `lets(names)` of the inline source: `inlineLets`'s lines, counted rather than
 * written, line for line (test/kql/inlineLength.test.ts holds the two equal).
 */
export function inlineLetsLength(names: readonly ListName[], c: InlineListChars): number {
  const lines: number[] = [];
  const list = (name: ListName, l: { count: number; chars: number }) =>
    lines.push(`let ${name} = ;`.length + kqlDynamicListLength(l.count, l.chars));
  for (const name of LIST_ORDER.filter((n) => names.includes(n))) {
    switch (name) {
      case 'iocIpByForm':
        lines.push(
          'let iocIpByForm = ;'.length + bagLiteralLength(c.ipForms.count, c.ipForms.chars),
          'let iocIpForms = bag_keys(iocIpByForm);'.length,
        );
        break;
      case 'iocIpPorts':
        lines.push('let iocIpPorts = ;'.length + bagLiteralLength(c.ipPorts.count, c.ipPorts.chars));
        break;
      case 'iocHostSources':
        lines.push('let iocHostSources = ;'.length + bagLiteralLength(c.hostSources.count, c.hostSources.chars));
        break;
      case 'iocHosts':
        // Hosts hold every domain, so as many hosts as domains are the same list.
        if (names.includes('iocDomains') && c.hosts.count === c.domains.count)
          lines.push('let iocHosts = iocDomains;'.length);
        else list(name, c.hosts);
        break;
      case 'iocDomains':
      case 'iocUrls':
      case 'iocSha256':
      case 'iocSha1':
      case 'iocMd5':
        list(name, c[LIST_CHARS[name]]);
    }
  }
  return lines.reduce((sum, n) => sum + n, 0) + Math.max(0, lines.length - 1);
}

/** The header line of an inline query: its IOC mix and what they are hunted as. */
export function inlineHeaderLine(iocMix: string, kinds: readonly IocKind[], counts: Record<IocKind, number>): string {
  const hunted = kinds
    .filter((k) => counts[k] > 0)
    .map((k) => countOf(counts[k], k))
    .join(', ');
  return `// IOCs inlined (export form, a snapshot): ${iocMix}; hunted as ${hunted}. Lists sorted, no timestamp.`;
}

/** What an inline source says beyond its lists and header line: fixed by which kinds it has. */
export function inlineForm(
  has: (kind: IocKind) => boolean,
): Pick<IocSource, 'form' | 'has' | 'validity' | 'hasAny' | 'parserList'> {
  return {
    form: 'inline',
    has,
    validity: () => '',
    hasAny: (column, list) => `${column} has_any (${list})`,
    parserList: (list) => list,
  };
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
    ...inlineForm((kind) => counts[kind] > 0),
    lets: (names) =>
      LIST_ORDER.filter((n) => names.includes(n))
        .flatMap((name) => inlineLets(name, v, names))
        .join('\n'),
    longestList: longestList(v.hosts.length, v.domains.length, v.ips.size),
    headerLine: () => inlineHeaderLine(options.iocMix, options.kinds, counts),
  };
}

/** What split keeps within MAX_HAS_ANY: the longest has_any list (an IP's two forms are one in DnsEvents). */
export function longestList(hosts: number, domains: number, ips: number): number {
  return Math.max(hosts, domains, 2 * ips);
}
