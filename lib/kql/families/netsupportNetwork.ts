import { kqlDynamicList } from '../literal';
import { CONNECTORS, DEVICE_ENTITY, INITIATING_PROCESS_ENTITY, entity } from '../queries/common';
import { BROWSERS, IT_INSTALL, outsideProgramFiles, VENDOR_DOMAINS, type Spec } from './netsupportSpec';

/**
 * NetSupport behaviour hunts on the network: the client's calls to NetSupport's own domains from
 * outside a browser, and its C2 beacon, an HTTP POST to /fakeurl.htm with the user agent
 * `NetSupport Manager/1.3`, in proxy and firewall logs (CommonSecurityLog) and every web source
 * the ASIM web-session parser normalises.
 */

const BEACON_TRIAGE =
  "the beacon goes to the actor's gateway (the Gateway line of the client32.ini), often on port 443 or 5405 but in clear HTTP: the source is the infected host; a managed NetSupport install beacons to your own gateway, so judge the destination first.";

const BEACON_FALSE_POSITIVES = [
  IT_INSTALL,
  {
    scenario: 'NetSupport Manager used through an internet gateway by IT',
    guidance:
      "A managed install that reaches its clients over the internet through NetSupport's Connectivity Server (a gateway) sends the same HTTP traffic to your gateway's address. Hits to that address are expected; hits to any other destination are not.",
  },
];

export const NETWORK_SPECS: readonly Spec[] = [
  {
    slug: 'vendor-domains',
    table: 'DeviceNetworkEvents',
    tables: ['DeviceNetworkEvents'],
    connectors: CONNECTORS.m365d('DeviceNetworkEvents'),
    name: 'NetSupport vendor domains (netsupportmanager.com, netsupportsoftware.com) contacted by non-browser processes',
    what: 'Hunts Defender for Endpoint network events for connections to netsupportmanager.com, netsupportsoftware.com or any of their subdomains made by a process other than a web browser.',
    hitMeaning:
      "A row is a process on a device that contacted NetSupport's servers; GeoLookup true is the client asking geo.netsupportsoftware.com where the victim is, which the RAT does right after it starts.",
    triage:
      'judge InitiatingProcessFileName and InitiatingProcessFolderPath: client32.exe (or a renamed copy) outside Program Files is the RAT; a managed install talks to your own gateway, and rarely to the geolocation service.',
    tactics: ['Discovery', 'CommandAndControl'],
    techniques: ['T1219', 'T1614'],
    entityMappings: [DEVICE_ENTITY, INITIATING_PROCESS_ENTITY, entity('DNS', { DomainName: 'RemoteHost' })],
    falsePositives: [
      IT_INSTALL,
      {
        scenario: 'NetSupport updates and licensing',
        guidance:
          'Managed NetSupport installs and their updaters contact the vendor domains for updates and licence checks from Program Files. A hit from a process under AppData, ProgramData or Temp is not explained this way.',
      },
    ],
    body: () => `let vendorDomains = ${kqlDynamicList(VENDOR_DOMAINS)};
let browsers = ${kqlDynamicList(BROWSERS)};
DeviceNetworkEvents
| where TimeGenerated between (starttime .. endtime)
| where RemoteUrl has_any (vendorDomains)
| extend RemoteHost = tolower(trim_end(@"\\.", extract(@"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/:?#]+)", 1, RemoteUrl)))
| mv-apply VendorDomain = vendorDomains to typeof(string) on (
    where RemoteHost == VendorDomain or RemoteHost endswith strcat(".", VendorDomain)
    | take 1
)
| where not(InitiatingProcessFileName in~ (browsers))
| extend GeoLookup = RemoteHost == "geo.netsupportsoftware.com",
    ProcessOutsideProgramFiles = ${outsideProgramFiles('InitiatingProcessFolderPath')}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Connections = count(),
    RemoteIPs = make_set(RemoteIP, 10), take_any(InitiatingProcessCommandLine, InitiatingProcessId)
    by DeviceName, DeviceId, InitiatingProcessFileName, InitiatingProcessFolderPath, ProcessOutsideProgramFiles, RemoteHost, GeoLookup
| order by ProcessOutsideProgramFiles desc, LastSeen desc`,
  },
  {
    slug: 'c2-beacon-cef',
    table: 'CommonSecurityLog',
    tables: ['CommonSecurityLog'],
    connectors: CONNECTORS.cef,
    name: 'NetSupport Manager C2 beacon (POST /fakeurl.htm, user agent NetSupport Manager/1.3) in proxy and firewall logs',
    what: "Hunts proxy, firewall and other CEF logs (CommonSecurityLog) for the NetSupport client's HTTP beacon: the user agent NetSupport Manager (RequestClientApplication) or a request for /fakeurl.htm.",
    hitMeaning:
      "A row is a host talking to a NetSupport gateway; BeaconUserAgent and FakeUrlPost true together are the client's own beacon, whatever address it goes to.",
    triage: BEACON_TRIAGE,
    tactics: ['CommandAndControl'],
    techniques: ['T1219', 'T1071.001'],
    entityMappings: [entity('IP', { Address: 'SourceIP' }), entity('IP', { Address: 'DestinationIP' })],
    falsePositives: BEACON_FALSE_POSITIVES,
    body: () => `CommonSecurityLog
| where TimeGenerated between (starttime .. endtime)
| where RequestClientApplication has "NetSupport Manager" or RequestURL has "fakeurl.htm"
| extend BeaconUserAgent = RequestClientApplication has "NetSupport Manager",
    FakeUrlPost = RequestURL contains "/fakeurl.htm" and RequestMethod =~ "POST"
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Requests = count(),
    UserAgents = make_set(RequestClientApplication, 5), SampleRequestUrls = make_set(RequestURL, 5),
    DeviceActions = make_set(DeviceAction, 5), SentBytes = sum(SentBytes), ReceivedBytes = sum(ReceivedBytes)
    by SourceIP, DestinationIP, DestinationPort, DestinationHostName, BeaconUserAgent, FakeUrlPost, DeviceVendor, DeviceProduct
| order by BeaconUserAgent desc, LastSeen desc`,
  },
  {
    slug: 'c2-beacon-web',
    table: '_Im_WebSession',
    tables: ['_Im_WebSession'],
    connectors: CONNECTORS.asim,
    name: 'NetSupport Manager C2 beacon (POST /fakeurl.htm, user agent NetSupport Manager/1.3) in ASIM web sessions',
    what: "Hunts every web source the ASIM web-session parser normalises (_Im_WebSession) for the NetSupport client's HTTP beacon: the user agent NetSupport Manager (HttpUserAgent) or a request for /fakeurl.htm.",
    hitMeaning:
      "A row is a host talking to a NetSupport gateway as a proxy, secure web gateway or firewall logged it; BeaconUserAgent and FakeUrlPost true together are the client's own beacon.",
    triage: BEACON_TRIAGE,
    tactics: ['CommandAndControl'],
    techniques: ['T1219', 'T1071.001'],
    entityMappings: [entity('IP', { Address: 'SrcIpAddr' }), entity('IP', { Address: 'DstIpAddr' })],
    falsePositives: BEACON_FALSE_POSITIVES,
    // Two parser calls, each pre-filtered at the source; the second skips what the first already returned.
    body: () => `union
    (_Im_WebSession(starttime = starttime, endtime = endtime, httpuseragent_has_any = dynamic(["NetSupport Manager"]))),
    (_Im_WebSession(starttime = starttime, endtime = endtime, url_has_any = dynamic(["fakeurl.htm"]))
        | where not(HttpUserAgent has "NetSupport Manager"))
| extend BeaconUserAgent = HttpUserAgent has "NetSupport Manager",
    FakeUrlPost = Url contains "/fakeurl.htm" and HttpRequestMethod =~ "POST"
| where BeaconUserAgent or Url contains "/fakeurl.htm"
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Requests = sum(coalesce(EventCount, int(1))),
    UserAgents = make_set(HttpUserAgent, 5), SampleUrls = make_set(Url, 5), DvcActions = make_set(DvcAction, 5)
    by SrcIpAddr, SrcHostname, SrcUsername, DstIpAddr, BeaconUserAgent, FakeUrlPost, EventProduct
| order by BeaconUserAgent desc, LastSeen desc`,
  },
];
