import type { IocType } from '../ioc/types';
import type { HuntedTable } from '../kql/tables';

export interface FalsePositive {
  scenario: string;
  guidance: string;
}

interface Rule extends FalsePositive {
  applies(table: HuntedTable, types: ReadonlySet<IocType>, familyId: string): boolean;
}

const has = (types: ReadonlySet<IocType>, ...wanted: IocType[]) => wanted.some((t) => types.has(t));
const NETWORK_TABLES: readonly HuntedTable[] = ['CommonSecurityLog', 'DeviceNetworkEvents'];
const DEFENDER_ENDPOINT: readonly HuntedTable[] = ['DeviceNetworkEvents', 'DeviceFileEvents', 'DeviceProcessEvents'];

/**
 * What an analyst should check before calling a hit benign, per table, IOC type and family. Each
 * entry names the columns of the query that answer the question; none suggests excluding an IOC
 * wholesale, because the IOC set is regenerated on every sync.
 */
const RULES: readonly Rule[] = [
  {
    scenario: 'Shared hosting, CDN or cloud address',
    guidance:
      'Some ThreatFox IPs front many unrelated sites (shared hosting, CDN edges, cloud load balancers). A hit is strong when PortMatchesIoc is true on a port other than 80/443, when the same device keeps a long-lived or periodic session, or when the initiating process is unexpected; it is weak when only HTTPS to an address that also serves popular sites. Check reverse IP/passive DNS for the address and, in Defender data, which process connected before closing the hit.',
    applies: (table, types) => NETWORK_TABLES.includes(table) && has(types, 'ipv4', 'ipv6'),
  },
  {
    scenario: 'Inbound scanning from an IOC address',
    guidance:
      'C2 and payload servers also scan the internet. Rows where the IOC is the SourceIP and DeviceActions show only deny/drop are usually noise; prioritise allowed outbound connections (IOC in DestinationIP) and any SentBytes/ReceivedBytes beyond a handshake.',
    applies: (table, types) => table === 'CommonSecurityLog' && has(types, 'ipv4', 'ipv6'),
  },
  {
    scenario: 'Sinkholed or parked domain',
    guidance:
      'After a takedown, IOC domains often resolve to a sinkhole (Shadowserver, Microsoft DCU, registrar parking). A lookup from a workstation still suggests an infected client that keeps beaconing, so investigate the ClientIP; but connections to the sinkhole address are not C2 traffic. Check ResolvedAddresses/RemoteIP against known sinkhole ranges before escalating.',
    applies: (table, types) => (table === 'DnsEvents' || NETWORK_TABLES.includes(table)) && has(types, 'domain'),
  },
  {
    scenario: 'Security tooling resolving or fetching IOCs',
    guidance:
      'Threat-intelligence platforms, SOAR enrichment, mail gateways, proxies with URL detonation and malware sandboxes look up and download IOCs by design. Identify those systems (ClientIP, DeviceName, SourceIP) and keep them in a watchlist you join against; exclude the system, never the IOC.',
    applies: (table, types) => table !== 'UrlClickEvents' && has(types, 'domain', 'url', 'ipv4', 'ipv6'),
  },
  {
    scenario: 'Compromised legitimate website',
    guidance:
      'Payload-delivery URLs frequently sit on hijacked legitimate sites (the fake-browser-update chains that drop NetSupport use compromised WordPress sites). Only the IOC URL path is malicious, which is why URLs are matched on a path boundary; a domain-level hit on such a site is weak on its own. Look for a download (DeviceFileEvents with FileOriginUrl on the host) or a script engine starting shortly after the visit.',
    applies: (_table, types) => has(types, 'url', 'domain'),
  },
  {
    scenario: 'Click blocked by Safe Links',
    guidance:
      'A row with ClickedThrough false means Safe Links blocked the user: no compromise from that click, but the user and the message (NetworkMessageIds) were targeted, so purge the message and look for the same sender elsewhere. Rows with ClickedThrough true need endpoint follow-up on the user\'s devices.',
    applies: (table) => table === 'UrlClickEvents',
  },
  {
    scenario: 'Samples handled by security staff or tools',
    guidance:
      'Antivirus quarantine, EDR file collection, sandboxes and analysts\' malware-analysis machines create files with IOC hashes. Check FolderPath (quarantine and analysis folders) and DeviceName against your analysis hosts before treating a file event as an infection; a process start (DeviceProcessEvents) outside such hosts is not explained this way.',
    applies: (table) => table === 'DeviceFileEvents' || table === 'DeviceProcessEvents',
  },
  {
    scenario: 'Legitimate NetSupport Manager or NetSupport School deployed by IT',
    guidance:
      'The RAT is the genuine NetSupport client (client32.exe), so hash and process hits can be your own remote-support or classroom installs. Legitimate installs live under C:\\Program Files (x86)\\NetSupport\\, are deployed by your software distribution, run as a service started by services.exe, and their client32.ini points at your own gateway or connectivity server. The abused copy sits in a random folder under AppData, ProgramData or Temp (see NetSupportClientOutsideProgramFiles), is started by wscript, mshta, cmd or PowerShell or by a Run key, and its client32.ini names an external gateway. Confirm with the owner of the install before closing.',
    applies: (table, _types, familyId) => familyId === 'win.netsupportmanager_rat' && DEFENDER_ENDPOINT.includes(table),
  },
  {
    scenario: 'Legitimate NetSupport gateway traffic',
    guidance:
      'Organisations that use NetSupport Manager over the internet talk to NetSupport\'s own or their hosted connectivity servers; those are not in ThreatFox. A hit on an IOC address is not explained by NetSupport being licensed in your estate: compare the destination with the gateway configured in your deployment\'s client32.ini.',
    applies: (table, types, familyId) => familyId === 'win.netsupportmanager_rat' && NETWORK_TABLES.includes(table) && has(types, 'ipv4', 'ipv6', 'domain'),
  },
];

/** The false-positive guidance for one hunting query, in a fixed order. */
export function falsePositivesFor(table: HuntedTable, types: Iterable<IocType>, familyId: string): FalsePositive[] {
  const typeSet = new Set(types);
  return RULES.filter((r) => r.applies(table, typeSet, familyId)).map(({ scenario, guidance }) => ({ scenario, guidance }));
}
