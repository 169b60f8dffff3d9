import { CONNECTORS, domainMatch, domainValues, header, hostsLet, listLet, lookbackLet, ofType, type TableHunt } from './common';

/**
 * Windows DNS server query logs. A lookup of an IOC domain (or any subdomain of it) is matched
 * exactly on label boundaries; ClientIP is the machine that asked, Computer the DNS server that
 * logged it. Resolved addresses are kept so sinkholed answers stand out.
 */
export const dnsEventsHunt: TableHunt = {
  table: 'DnsEvents',
  iocTypes: ['domain'],
  dataDescription: 'Windows DNS server query logs (DnsEvents)',
  hitMeaning: 'A row is a client that asked a Windows DNS server for one of these domains or a subdomain; a lookup alone does not prove a connection.',
  triage:
    'the asking host is ClientIP (Computer is the DNS server that logged it); compare ResolvedAddresses with sinkhole ranges, then look for that host\'s connections in DeviceNetworkEvents or firewall logs.',
  requiredDataConnectors: CONNECTORS.dns,
  entityMappings: [
    { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'ClientIP' }] },
    { entityType: 'DNS', fieldMappings: [{ identifier: 'DomainName', columnName: 'MatchedIoc' }] },
    { entityType: 'Host', fieldMappings: [{ identifier: 'FullName', columnName: 'Computer' }] },
  ],
  build(iocs, ctx) {
    const domains = ofType(iocs, 'domain');
    return `${header(this, `Hunts ${this.dataDescription} for lookups of the family's domains and their subdomains.`, iocs, ctx)}
${lookbackLet(ctx)}
${listLet('iocDomains', domainValues(domains))}
${hostsLet(domains, [])}
DnsEvents
| where TimeGenerated > ago(lookback)
| where SubType == "LookupQuery"
| where Name has_any (iocHosts)
| extend QueryName = tolower(trim_end(@"\\.", Name))
${domainMatch('QueryName', 'iocDomains')}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), QueryCount = count(),
    QueryNames = make_set(QueryName, 10), QueryTypes = make_set(QueryType, 10), ResolvedAddresses = make_set(IPAddresses, 10),
    ResultCodes = make_set(ResultCode, 10)
    by MatchedIoc, ClientIP, Computer
| order by LastSeen desc`;
  },
};
