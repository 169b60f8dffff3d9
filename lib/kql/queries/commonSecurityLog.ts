import { ipAndWebBranches } from './branches';
import { assemble, CONNECTORS, entity, MATCH_RANK, recentRows, type TableHunt } from './common';
import { hostExpr, portMatch, urlKeyExpr } from './match';

/**
 * Firewalls, proxies and other CEF sources. IPs are matched on either side of the connection (an
 * implant talks out; a scan or reverse connection may arrive in), and for `ip:port` IOCs the query
 * says whether the IOC side used the port ThreatFox reported. Web-filtering devices also log the
 * requested host and URL: domains are matched on the host of DestinationHostName (which may carry
 * `:port`) and of RequestURL (DestinationHostName may be empty or name the proxy or a CDN), and URLs
 * on RequestURL, completed with the host when the device logs only the path.
 */
export const commonSecurityLogHunt: TableHunt = {
  table: 'CommonSecurityLog',
  iocTypes: ['ipv4', 'ipv6', 'domain', 'url'],
  kinds: ['ip', 'domain', 'url'],
  dataDescription: 'firewall, proxy and other CEF appliance logs (CommonSecurityLog)',
  hitMeaning:
    'A row is traffic between one of your addresses and this infrastructure as a firewall or proxy logged it, in either direction and whether or not the device allowed it.',
  triage:
    'start with allowed outbound rows (IOC in DestinationIP, DeviceActions not deny/drop, ReceivedBytes beyond a handshake, PortMatchesIoc true), then find the host behind SourceIP.',
  requiredDataConnectors: CONNECTORS.cef,
  entityMappings: [
    entity('IP', { Address: 'SourceIP' }),
    entity('IP', { Address: 'DestinationIP' }),
    entity('DNS', { DomainName: 'DestinationHostName' }),
  ],
  build(source, ctx) {
    const branches = ipAndWebBranches(
      source,
      (
        k,
      ) => `let ipHits = ${recentRows('CommonSecurityLog', 'DestinationIP in~ (iocIpForms) or SourceIP in~ (iocIpForms)')}${k.key}
    | extend IocIsDestination = DestinationIP in~ (iocIpForms)
    | extend IocType = "ip", MatchedIoc = tostring(iocIpByForm[tolower(iff(IocIsDestination, DestinationIP, SourceIP))])
    | extend IocSidePort = iff(IocIsDestination, DestinationPort, SourcePort)
${portMatch('IocSidePort', '    ', ['IocIsDestination', 'IocSidePort'])}${k.keyed ? `\n    | extend MatchRank = ${MATCH_RANK.ip}` : ''};`,
      {
        read: recentRows(
          'CommonSecurityLog',
          `${source.hasAny('DestinationHostName', 'iocHosts')} or ${source.hasAny('RequestURL', 'iocHosts')}`,
        ),
        extend: `| extend DestinationHost = ${hostExpr('DestinationHostName')}, UrlHost = ${hostExpr('RequestURL')}
    | extend UrlKey = ${urlKeyExpr('iff(RequestURL startswith "/", strcat(DestinationHost, RequestURL), RequestURL)')}`,
        hostColumns: ['DestinationHost', 'UrlHost'],
        portColumn: 'DestinationPort',
      },
    );
    return assemble(this, source, ctx, {
      huntsFor: "connections to or from the family's infrastructure",
      ...branches,
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), EventCount = count(),
    DeviceActions = make_set(DeviceAction, 10), SampleRequestUrls = make_set(RequestURL, 10),
    SentBytes = sum(SentBytes), ReceivedBytes = sum(ReceivedBytes)
    by IocType, MatchedIoc, SourceIP, DestinationIP, DestinationPort, DestinationHostName, PortMatchesIoc,
    DeviceVendor, DeviceProduct
| order by LastSeen desc`,
    });
  },
};
