import {
  CONNECTORS, header, hostPartExpr, ipPortsLet, lookbackLet, normalisedHost, ofType, urlKeyExpr, webBranches, type TableHunt,
} from './common';

/**
 * Firewalls, proxies and other CEF sources. IPs are matched on either side of the connection (an
 * implant talks out; a scan or reverse connection may arrive in), and for `ip:port` IOCs the query
 * says whether the IOC side used the port ThreatFox reported. Web-filtering devices also log the
 * requested host and URL, so domains and URLs are hunted there too.
 */
export const commonSecurityLogHunt: TableHunt = {
  table: 'CommonSecurityLog',
  iocTypes: ['ipv4', 'ipv6', 'domain', 'url'],
  dataDescription: 'firewall, proxy and other CEF appliance logs (CommonSecurityLog)',
  hitMeaning:
    'A row is traffic between one of your addresses and this infrastructure as a firewall or proxy logged it, in either direction and whether or not the device allowed it.',
  triage:
    'start with allowed outbound rows (IOC in DestinationIP, DeviceActions not deny/drop, ReceivedBytes beyond a handshake, PortMatchesIoc true), then find the host behind SourceIP.',
  requiredDataConnectors: CONNECTORS.cef,
  entityMappings: [
    { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'SourceIP' }] },
    { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'DestinationIP' }] },
    { entityType: 'DNS', fieldMappings: [{ identifier: 'DomainName', columnName: 'DestinationHostName' }] },
  ],
  build(iocs, ctx) {
    const ips = ofType(iocs, 'ipv4', 'ipv6');
    const domains = ofType(iocs, 'domain');
    const urls = ofType(iocs, 'url');
    const lets: string[] = [lookbackLet(ctx)];
    const branches: string[] = [];
    const names: string[] = [];

    if (ips.length > 0) {
      lets.push(ipPortsLet('iocIpPorts', ips), 'let iocIps = bag_keys(iocIpPorts);');
      names.push('ipHits');
      branches.push(`let ipHits = CommonSecurityLog
    | where TimeGenerated > ago(lookback)
    | where DestinationIP in (iocIps) or SourceIP in (iocIps)
    | extend IocIsDestination = DestinationIP in (iocIps)
    | extend IocType = "ip", MatchedIoc = iff(IocIsDestination, DestinationIP, SourceIP)
    | extend IocSidePort = iff(IocIsDestination, DestinationPort, SourcePort), IocPorts = iocIpPorts[MatchedIoc]
    | extend PortMatchesIoc = iff(array_length(IocPorts) == 0, bool(null), set_has_element(IocPorts, IocSidePort))
    | project-away IocIsDestination, IocSidePort, IocPorts;`);
    }
    const web = webBranches(domains, urls, {
      read: `CommonSecurityLog
    | where TimeGenerated > ago(lookback)
    | where DestinationHostName has_any (iocHosts) or RequestURL has_any (iocHosts)
    | extend UrlKey = ${urlKeyExpr('RequestURL')}
    | extend RequestHost = ${normalisedHost(`coalesce(DestinationHostName, ${hostPartExpr('RequestURL')})`)}`,
      hostColumn: 'RequestHost',
      urlGuard: 'isnotempty(UrlKey)',
    });
    lets.push(...web.lets);
    branches.push(...web.branches);
    names.push(...web.names);

    const source = names.length === 1 ? names[0]! : `union ${names.join(', ')}`;
    return `${header(this, `Hunts ${this.dataDescription} for connections to or from the family's infrastructure.`, iocs, ctx)}
${lets.join('\n')}
${branches.join('\n')}
${source}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), EventCount = count(),
    DeviceActions = make_set(DeviceAction, 10), SampleRequestUrls = make_set(RequestURL, 10),
    SentBytes = sum(SentBytes), ReceivedBytes = sum(ReceivedBytes)
    by IocType, MatchedIoc, SourceIP, DestinationIP, DestinationPort, DestinationHostName, PortMatchesIoc,
    DeviceVendor, DeviceProduct
| order by LastSeen desc`;
  },
};
