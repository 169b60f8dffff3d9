import { asimDnsLookups } from './branches';
import { assemble, CONNECTORS, entity, recentRows, type TableHunt } from './common';

/**
 * ASIM-normalised DNS activity (ASimDnsActivityLogs), the table the "Windows DNS Events via AMA"
 * connector writes in place of the MMA agent's DnsEvents; many workspaces have only this one.
 * Lookups of an IOC domain (or any subdomain, or a URL IOC's host) are matched exactly on label
 * boundaries, as for DnsEvents. Windows DNS logs one lookup several times (query received, response
 * sent, and the server's own recursion out and back), so the summary counts logged events, names
 * the server by whichever Dvc field the source fills, and flags rows where the "client" is the
 * server itself (127.0.0.1 or its own address), which are recursion rather than an infected machine.
 * EventCount (int, null when the source does not aggregate) defaults to `int(1)`: coalesce wants
 * arguments of one type, and a bare `1` is a long.
 */
export const asimDnsActivityLogsHunt: TableHunt = {
  table: 'ASimDnsActivityLogs',
  iocTypes: ['domain', 'url'],
  kinds: ['domain'],
  dataDescription: 'ASIM DNS activity logs from Windows DNS servers via AMA (ASimDnsActivityLogs)',
  hitMeaning:
    'A row is a client that asked a DNS server for one of these domains or a subdomain; a lookup alone does not prove a connection.',
  triage:
    "the asking host is SrcIpAddr (SrcHostname where the source logs it) and DnsServer the server that logged it; AskedByDnsServer true marks the server's own recursive lookup, so find the client in the rows with false. Compare DnsResponses with sinkhole ranges, then look for that host's connections in DeviceNetworkEvents or firewall logs.",
  requiredDataConnectors: CONNECTORS.asimDns,
  entityMappings: [entity('IP', { Address: 'SrcIpAddr' }), entity('Host', { FullName: 'DnsServer' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "lookups of the family's domains and their subdomains",
      ...asimDnsLookups(recentRows('ASimDnsActivityLogs', source.hasAny('DnsQuery', 'iocDomains'))),
      summary: `| extend DnsServer = coalesce(DvcFQDN, DvcHostname, Dvc, DvcIpAddr),
    AskedByDnsServer = SrcIpAddr in ("127.0.0.1", "::1") or (isnotempty(SrcIpAddr) and SrcIpAddr == DvcIpAddr)
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), LoggedEvents = sum(coalesce(EventCount, int(1))),
    QueryNames = make_set(QueryName, 10), QueryTypes = make_set(DnsQueryTypeName, 10), DnsResponses = make_set(DnsResponseName, 10),
    ResultDetails = make_set(EventResultDetails, 10)
    by IocType, MatchedIoc, SrcIpAddr, SrcHostname, DnsServer, AskedByDnsServer
| order by AskedByDnsServer asc, LastSeen desc`,
    });
  },
};
