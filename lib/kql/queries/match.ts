/**
 * The KQL pieces the table hunts match with: URL and host expressions, and the exact domain, URL,
 * port and hash matches a loose pre-filter (`has_any`, `in~`) is followed by.
 */
import { kqlString } from '../literal';
import type { IocSource, ListName } from '../source';
import { urlKeyExpr } from '../urlKey';

export { URL_KEY_REGEX, urlKeyExpr } from '../urlKey';

/**
 * Host part (as logged) of a column holding a bare host, `host:port` or a full URL. A bracketed
 * IPv6 literal (`http://[2001:db8::1]:8080/`) is taken whole, brackets included: it can never
 * equal an IOC domain, and cutting it at the first colon would yield a fragment such as `[2001`.
 */
export function hostPartExpr(column: string): string {
  return `extract(@"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/?#]*@)?(\\[[^\\]/?#]*\\]|[^/:?#]+)", 1, ${column})`;
}

/** Comparable host: lower-case, no trailing root dot. */
export function normalisedHost(expr: string): string {
  return `tolower(trim_end(@"\\.", ${expr}))`;
}

export function hostExpr(column: string): string {
  return normalisedHost(hostPartExpr(column));
}

/**
 * Keeps rows where one of the host columns equals an IOC domain or is a subdomain of it, and names
 * the most specific IOC domain that matched. Suffix matching on a label boundary
 * (`endswith "." + domain`) is the exact test; rows without a match are dropped by mv-apply.
 */
export function domainMatch(hostColumns: string | readonly string[], listName: string, indent = ''): string {
  const cols = typeof hostColumns === 'string' ? [hostColumns] : hostColumns;
  const cond = cols.map((c) => `${c} == IocDomain or ${c} endswith strcat(".", IocDomain)`).join('\n            or ');
  return [
    `| mv-apply IocDomain = ${listName} to typeof(string) on (`,
    `        where ${cond}`,
    `        | top 1 by strlen(IocDomain) desc`,
    `        | project MatchedIoc = IocDomain`,
    `    )`,
  ]
    .map((line) => indent + line)
    .join('\n');
}

/**
 * Keeps rows whose URL (scheme-less key) equals an IOC URL or continues it at a path, query or
 * fragment boundary (`/payload` matches `/payload?x=1`, not `/payload2`).
 */
export function urlMatch(urlKeyColumn: string, listName: string, indent = ''): string {
  return [
    `| mv-apply IocUrl = ${listName} to typeof(string) on (`,
    `        extend IocKey = ${urlKeyExpr('IocUrl')}`,
    `        | where ${urlKeyColumn} == IocKey`,
    `            or (${urlKeyColumn} startswith IocKey and substring(${urlKeyColumn}, strlen(IocKey), 1) in ("/", "?", "#"))`,
    `        | top 1 by strlen(IocKey) desc`,
    `        | project MatchedIoc = IocUrl`,
    `    )`,
  ]
    .map((line) => indent + line)
    .join('\n');
}

/** PortMatchesIoc: true/false when ThreatFox reported ports for the IP, null when it did not. */
export function portMatch(portExpr: string, indent = '', dropAlso: readonly string[] = []): string {
  return [
    `| extend IocPorts = iocIpPorts[MatchedIoc]`,
    `| extend PortMatchesIoc = iff(array_length(IocPorts) > 0, set_has_element(IocPorts, ${portExpr}), bool(null))`,
    `| project-away ${['IocPorts', ...dropAlso].join(', ')}`,
  ]
    .map((l) => indent + l)
    .join('\n');
}

/** The hash columns of one entity in a Defender table (the file itself, or the process that acted). */
export interface HashColumns {
  sha256: string;
  sha1: string;
  md5: string;
  /** What a match on these columns means, e.g. "process" or "parent process". */
  label: string;
}

const HASH_TYPES = [
  { kind: 'sha256', list: 'iocSha256', algorithm: 'SHA256' },
  { kind: 'sha1', list: 'iocSha1', algorithm: 'SHA1' },
  { kind: 'md5', list: 'iocMd5', algorithm: 'MD5' },
] as const;

/**
 * The lists, the `where` clause and the `extend` naming the match for hash IOCs over one or more
 * column sets. Only the hash kinds the source has are referenced; MatchedIoc, HashAlgorithm and
 * MatchedOn (which column set matched) come out Sentinel-ready for FileHash entities. Defender for
 * Endpoint writes hashes as lower-case hex and the lists are lower-cased, so the case-sensitive
 * `in` is exact here and cheaper on a large table than `in~`.
 */
export function hashHits(
  source: IocSource,
  columnSets: readonly HashColumns[],
): { lists: ListName[]; where: string; extend: string } {
  const present = HASH_TYPES.filter((h) => source.has(h.kind));
  const matches = columnSets.flatMap((set) =>
    present.map((h) => ({ column: set[h.kind], list: h.list, algorithm: h.algorithm, label: set.label })),
  );
  const cond = (m: (typeof matches)[number]) => `${m.column} in (${m.list})`;
  const caseOf = (value: (m: (typeof matches)[number]) => string) =>
    `case(${matches.map((m) => `${cond(m)}, ${value(m)}`).join(', ')}, "")`;
  return {
    lists: present.map((h) => h.list),
    where: matches.map(cond).join(' or '),
    extend: [
      `| extend HashAlgorithm = ${caseOf((m) => kqlString(m.algorithm))}`,
      `| extend MatchedIoc = ${caseOf((m) => m.column)}`,
      `| extend MatchedOn = ${caseOf((m) => kqlString(m.label))}`,
    ].join('\n'),
  };
}
