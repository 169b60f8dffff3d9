import { assemble, CONNECTORS, entity, keying, recentRows, type Branch, type TableHunt } from './common';
import { domainMatch, normalisedHost } from './match';
import type { ListName } from '../source';

/**
 * Windows DNS server query logs. A lookup of an IOC domain (or any subdomain of it, or the host of
 * a URL IOC) is matched exactly on label boundaries; a lookup whose answer (IPAddresses) is an IOC
 * IP is a hit too, whatever name was asked. ClientIP is the machine that asked, Computer the DNS
 * server that logged it.
 */
export const dnsEventsHunt: TableHunt = {
  table: 'DnsEvents',
  iocTypes: ['domain', 'url', 'ipv4', 'ipv6'],
  kinds: ['domain', 'ip'],
  dataDescription: 'Windows DNS server query logs (DnsEvents)',
  hitMeaning:
    'A row is a client that asked a Windows DNS server for one of these domains or a subdomain, or got one of these IPs as the answer; a lookup alone does not prove a connection.',
  triage:
    "the asking host is ClientIP (Computer is the DNS server that logged it); compare ResolvedAddresses with sinkhole ranges, then look for that host's connections in DeviceNetworkEvents or firewall logs.",
  requiredDataConnectors: CONNECTORS.dns,
  entityMappings: [
    entity('IP', { Address: 'ClientIP' }),
    entity('DNS', { DomainName: 'QueryName' }),
    entity('Host', { FullName: 'Computer' }),
  ],
  build(source, ctx) {
    const domain = source.has('domain');
    const ip = source.has('ip');
    const k = keying((domain ? 1 : 0) + (ip ? 1 : 0));
    const lists: ListName[] = [];
    const branches: Branch[] = [];
    const read = (filter: string) => `${recentRows('DnsEvents', 'SubType == "LookupQuery"', filter)}${k.key}
    | extend QueryName = ${normalisedHost('Name')}`;
    if (domain) {
      lists.push('iocDomains');
      branches.push({
        name: 'domainHits',
        text: `let domainHits = ${read(source.hasAny('Name', 'iocDomains'))}
${domainMatch('QueryName', 'iocDomains', '    ')}
    | extend IocType = "domain"${k.rank('domain')};`,
      });
    }
    if (ip) {
      lists.push('iocIpByForm');
      branches.push({
        name: 'answerHits',
        text: `let answerHits = ${read(source.hasAny('IPAddresses', 'iocIpForms'))}
    | mv-apply Answer = split(IPAddresses, ",") to typeof(string) on (
        where trim(" ", Answer) in~ (iocIpForms)
        | take 1
        | project MatchedIoc = tostring(iocIpByForm[tolower(trim(" ", Answer))])
    )
    | extend IocType = "ip"${k.rank('ip')};`,
      });
    }
    return assemble(this, source, ctx, {
      huntsFor: "lookups of the family's domains and for answers holding its IPs",
      lists,
      branches,
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), QueryCount = count(),
    QueryNames = make_set(QueryName, 10), QueryTypes = make_set(QueryType, 10), ResolvedAddresses = make_set(IPAddresses, 10),
    ResultCodes = make_set(ResultCode, 10)
    by IocType, MatchedIoc, ClientIP, Computer
| extend QueryName = tostring(QueryNames[0])
| order by LastSeen desc`,
    });
  },
};
