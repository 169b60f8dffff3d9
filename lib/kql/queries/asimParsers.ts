import { asimDnsLookups, webBranches } from './branches';
import { assemble, CONNECTORS, entity, type TableHunt } from './common';
import { hostExpr, portMatch, urlKeyExpr } from './match';

/**
 * The ASIM parsers (`_Im_Dns`, `_Im_NetworkSession`, `_Im_WebSession`): one query covers every
 * source the workspace normalises (Windows DNS, Sysmon, Zeek, Infoblox, firewalls, proxies, ...).
 * Each is called with its pre-filter parameters, so the parsers filter at the source tables; the
 * parameters match loosely (`has_any`, IP prefixes), so every hit is then checked exactly.
 */

export const imDnsHunt: TableHunt = {
  table: '_Im_Dns',
  iocTypes: ['domain', 'url'],
  kinds: ['domain'],
  dataDescription: 'DNS activity from every source the ASIM DNS parser normalises (_Im_Dns)',
  hitMeaning:
    'A row is a client that looked up one of these domains or a subdomain, as any normalised DNS source logged it; a lookup alone does not prove a connection.',
  triage:
    "the asking host is SrcIpAddr (SrcHostname where the source logs it), Dvc and EventProduct the device and product that logged it; compare DnsResponses with sinkhole ranges, then look for that host's connections.",
  requiredDataConnectors: CONNECTORS.asim,
  entityMappings: [entity('IP', { Address: 'SrcIpAddr' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "lookups of the family's domains and their subdomains",
      ...asimDnsLookups(
        `_Im_Dns(starttime = starttime, endtime = endtime, domain_has_any = ${source.parserList('iocDomains')})`,
      ),
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), LoggedEvents = sum(coalesce(EventCount, int(1))),
    QueryNames = make_set(QueryName, 10), DnsResponses = make_set(DnsResponseName, 10), ResultDetails = make_set(EventResultDetails, 10)
    by IocType, MatchedIoc, SrcIpAddr, SrcHostname, Dvc, EventProduct
| order by LastSeen desc`,
    });
  },
};

export const imNetworkSessionHunt: TableHunt = {
  table: '_Im_NetworkSession',
  iocTypes: ['ipv4', 'ipv6', 'url'],
  kinds: ['ip'],
  dataDescription: 'network sessions from every source the ASIM network-session parser normalises (_Im_NetworkSession)',
  hitMeaning:
    'A row is a session between one of your addresses and this infrastructure, in either direction, as a firewall, NSG, Zeek, Sysmon or Defender logged it.',
  triage:
    'start with sessions where the IOC is DstIpAddr and DvcActions allow it, PortMatchesIoc true and bytes beyond a handshake; SrcIpAddr (SrcHostname) is the host to examine, EventProduct the log it came from.',
  requiredDataConnectors: CONNECTORS.asim,
  entityMappings: [entity('IP', { Address: 'SrcIpAddr' }), entity('IP', { Address: 'DstIpAddr' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "sessions to or from the family's IPs",
      lists: ['iocIpByForm', 'iocIpPorts'],
      branches: [
        {
          name: 'ipHits',
          text: `let ipHits = _Im_NetworkSession(starttime = starttime, endtime = endtime, ipaddr_has_any_prefix = ${source.parserList('iocIpForms')})
    | where DstIpAddr in~ (iocIpForms) or SrcIpAddr in~ (iocIpForms)
    | extend IocIsDestination = DstIpAddr in~ (iocIpForms)
    | extend IocType = "ip", MatchedIoc = tostring(iocIpByForm[tolower(iff(IocIsDestination, DstIpAddr, SrcIpAddr))])
    | extend IocSidePort = iff(IocIsDestination, DstPortNumber, SrcPortNumber)
${portMatch('IocSidePort', '    ')};`,
        },
      ],
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Sessions = sum(coalesce(EventCount, int(1))),
    DvcActions = make_set(DvcAction, 10), EventResults = make_set(EventResult, 5), SrcBytes = sum(SrcBytes), DstBytes = sum(DstBytes)
    by IocType, MatchedIoc, IocIsDestination, PortMatchesIoc, SrcIpAddr, SrcHostname, DstIpAddr, DstPortNumber, EventProduct
| order by LastSeen desc`,
    });
  },
};

export const imWebSessionHunt: TableHunt = {
  table: '_Im_WebSession',
  iocTypes: ['domain', 'url'],
  kinds: ['domain', 'url'],
  dataDescription: 'web sessions from every source the ASIM web-session parser normalises (_Im_WebSession)',
  hitMeaning:
    'A row is a web request from one of your users or hosts to one of these URLs or to a host of the family, as a proxy, secure web gateway or web server logged it.',
  triage:
    'DvcActions and EventResults say whether the request was allowed; SrcIpAddr, SrcHostname and SrcUsername name who made it; a URL hit (IocType url) on a payload path is stronger than a host hit.',
  requiredDataConnectors: CONNECTORS.asim,
  entityMappings: [entity('IP', { Address: 'SrcIpAddr' }), entity('URL', { Url: 'SampleUrl' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "requests to the family's URLs and hosts",
      ...webBranches(source, {
        read: `_Im_WebSession(starttime = starttime, endtime = endtime, url_has_any = ${source.parserList('iocHosts')})`,
        extend: `| extend UrlHost = ${hostExpr('Url')}, UrlKey = ${urlKeyExpr('Url')}`,
        hostColumns: ['UrlHost'],
      }),
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Requests = sum(coalesce(EventCount, int(1))),
    DvcActions = make_set(DvcAction, 10), EventResults = make_set(EventResult, 5), SampleUrl = take_any(Url), Urls = make_set(Url, 10),
    UserAgents = make_set(HttpUserAgent, 5)
    by IocType, MatchedIoc, SrcIpAddr, SrcHostname, SrcUsername, DstIpAddr, EventProduct
| order by LastSeen desc`,
    });
  },
};
