/**
 * Branches more than one table hunt is built from: the domain and URL branches over one read of a
 * web-capable table, an IP branch beside them, and the ASIM DNS lookups.
 */
import type { IocSource, ListName } from '../source';
import { EVENT_KEY, keying, MATCH_RANK, type Branch, type BranchSet, type Keying } from './common';
import { domainMatch, normalisedHost, urlMatch } from './match';

/**
 * `materialize(...)` around a tabular `let` that more than one branch reads, so a large table is
 * scanned and pre-filtered once per query rather than once per branch.
 */
export function sharedLet(name: string, body: string, readers: number): string {
  return readers > 1 ? `let ${name} = materialize(${body});` : `let ${name} = ${body};`;
}

/** How a web-capable table is read for the domain and URL branches. */
export interface WebRead {
  /** The table with its time and `has_any (iocHosts)` filters (EventKey is added here when needed). */
  read: string;
  /** Adds the host columns and `UrlKey`. */
  extend: string;
  hostColumns: readonly string[];
  /** Keeps rows that can hold a URL; by default those with a `UrlKey`. */
  urlGuard?: string;
  /** Branches of the hunt besides these two (an IP branch), which make the rows keyed. */
  otherBranches?: number;
  /** The table has a port column: the web branches set PortMatchesIoc to null for the summary. */
  portColumn?: string;
  /** The read already adds EventKey (before an mv-expand that turns one event into several rows to match). */
  keyInRead?: boolean;
}

/** Domain and URL branches over one pre-filtered read of a web-capable table. */
export function webBranches(source: IocSource, options: WebRead): BranchSet {
  const domains = source.has('domain');
  const urls = source.has('url');
  const lists: ListName[] = [];
  if (domains) lists.push('iocDomains');
  if (urls) lists.push('iocUrls');
  if (!domains && !urls) return { lists, shared: [], branches: [] };
  lists.push('iocHosts');
  const readers = (domains ? 1 : 0) + (urls ? 1 : 0);
  const keyed = options.keyInRead || readers + (options.otherBranches ?? 0) > 1;
  const addKey = keyed && !options.keyInRead;
  const shared = [
    sharedLet('webEvents', `${options.read}${addKey ? `\n    ${EVENT_KEY}` : ''}\n    ${options.extend}`, readers),
  ];
  const branches: Branch[] = [];
  const rank = (kind: 'url' | 'domain') => (keyed ? `, MatchRank = ${MATCH_RANK[kind]}` : '');
  const noPort = options.portColumn ? ', PortMatchesIoc = bool(null)' : '';
  if (urls) {
    branches.push({
      name: 'urlHits',
      text: `let urlHits = webEvents
    | where ${options.urlGuard ?? 'isnotempty(UrlKey)'}
${urlMatch('UrlKey', 'iocUrls', '    ')}
    | extend IocType = "url"${noPort}${rank('url')};`,
    });
  }
  if (domains) {
    branches.push({
      name: 'domainHits',
      text: `let domainHits = webEvents
${domainMatch(options.hostColumns, 'iocDomains', '    ')}
    | extend IocType = "domain"${noPort}${rank('domain')};`,
    });
  }
  return { lists, shared, branches };
}

/**
 * A network table's branches: IP matches (`ipHits`, text from `ipBranch`, which reads iocIpByForm
 * and iocIpPorts) and the domain and URL matches over one web read. Keyed when more than one runs.
 */
export function ipAndWebBranches(
  source: IocSource,
  ipBranch: (k: Keying) => string,
  web: Omit<WebRead, 'otherBranches'>,
): BranchSet {
  const ip = source.has('ip');
  const k = keying((ip ? 1 : 0) + (source.has('domain') ? 1 : 0) + (source.has('url') ? 1 : 0));
  const webSet = webBranches(source, { ...web, otherBranches: ip ? 1 : 0 });
  return {
    lists: [...(ip ? (['iocIpByForm', 'iocIpPorts'] as const) : []), ...webSet.lists],
    shared: webSet.shared,
    branches: [...(ip ? [{ name: 'ipHits', text: ipBranch(k) }] : []), ...webSet.branches],
  };
}

/**
 * Lookups of an IOC domain or a subdomain in an ASIM DNS read (`_Im_Dns`, ASimDnsActivityLogs):
 * DnsQuery, lower-cased without its root dot, matched on label boundaries.
 */
export function asimDnsLookups(read: string): BranchSet {
  return {
    lists: ['iocDomains'],
    branches: [
      {
        name: 'domainHits',
        text: `let domainHits = ${read}
    | extend QueryName = ${normalisedHost('DnsQuery')}
${domainMatch('QueryName', 'iocDomains', '    ')}
    | extend IocType = "domain";`,
      },
    ],
  };
}
