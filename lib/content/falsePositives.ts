import type { IocType } from '../ioc/types';
import { NETSUPPORT_FAMILY } from './family';
import type { HuntedTable } from './tables';

export interface FalsePositive {
  scenario: string;
  guidance: string;
}

/** The columns a guidance text names: one table's, or several tables' when the report says it once for all. */
interface Columns {
  /** The system that asked or connected (SourceIP, DeviceName, ...). */
  asking: string;
  /** The resolved or contacted address (DestinationIP, RemoteIP, ...). */
  contacted: string;
  /** How a hit on a domain reads in these tables: a DNS lookup, or traffic. */
  domainHit: string;
}

interface Rule {
  scenario: string;
  /** Text, or text naming the columns of the tables the query (or queries) read. */
  guidance: string | ((columns: Columns, familyId: string) => string);
  applies(table: HuntedTable, types: ReadonlySet<IocType>, familyId: string): boolean;
}

/** Where each table's query shows the resolved or contacted address, and the host that asked. */
const CONTACTED_ADDRESS: Readonly<Record<HuntedTable, string>> = {
  CommonSecurityLog: 'DestinationIP',
  DeviceNetworkEvents: 'RemoteIP',
  DnsEvents: 'ResolvedAddresses',
  ASimDnsActivityLogs: 'DnsResponses',
  _Im_Dns: 'DnsResponses',
  _Im_NetworkSession: 'DstIpAddr',
  _Im_WebSession: 'DstIpAddr',
  UrlClickEvents: 'the resolved address',
  EmailUrlInfo: 'the resolved address',
  DeviceFileEvents: 'OriginIPs',
  DeviceProcessEvents: 'the contacted address',
};
const ASKING_SYSTEM: Readonly<Record<HuntedTable, string>> = {
  CommonSecurityLog: 'SourceIP',
  DeviceNetworkEvents: 'DeviceName',
  DnsEvents: 'ClientIP',
  ASimDnsActivityLogs: 'SrcIpAddr',
  _Im_Dns: 'SrcIpAddr',
  _Im_NetworkSession: 'SrcIpAddr',
  _Im_WebSession: 'SrcIpAddr',
  UrlClickEvents: 'AccountUpn',
  EmailUrlInfo: 'NetworkMessageIds',
  DeviceFileEvents: 'DeviceName',
  DeviceProcessEvents: 'DeviceName',
};

const has = (types: ReadonlySet<IocType>, ...wanted: IocType[]) => wanted.some((t) => types.has(t));
const NETWORK_TABLES: readonly HuntedTable[] = [
  'CommonSecurityLog',
  'DeviceNetworkEvents',
  '_Im_NetworkSession',
  '_Im_WebSession',
];
/** DNS logs: the legacy MMA table, its ASIM successor from the AMA connector, and the ASIM DNS parser. */
const DNS_TABLES: readonly HuntedTable[] = ['DnsEvents', 'ASimDnsActivityLogs', '_Im_Dns'];
/** Mail tables: a hit is exposure or a click, not a connection from a host. */
const MAIL_TABLES: readonly HuntedTable[] = ['UrlClickEvents', 'EmailUrlInfo'];
const DEFENDER_ENDPOINT: readonly HuntedTable[] = ['DeviceNetworkEvents', 'DeviceFileEvents', 'DeviceProcessEvents'];

/**
 * What an analyst should check before calling a hit benign, per table, IOC type and family. Each
 * entry names the columns of the query that answer the question; none suggests excluding an IOC
 * wholesale, because the IOC set is regenerated on every sync.
 */
/** NetSupport installed on purpose: one note for the IOC hunts and the behaviour hunts alike. */
export const NETSUPPORT_IT_INSTALL = {
  scenario: 'NetSupport Manager or NetSupport School deployed by IT',
  guidance:
    'The RAT is the genuine NetSupport client (client32.exe), so hash and process hits can be your own remote-support or classroom installs. Legitimate installs live under C:\\Program Files (x86)\\NetSupport\\, are deployed by your software distribution, run as a service started by services.exe, and their client32.ini points at your own gateway or connectivity server. The abused copy sits in a random folder under AppData, ProgramData or Temp (see NetSupportClientOutsideProgramFiles), is started by wscript, mshta, cmd or PowerShell or by a Run key, and its client32.ini names an external gateway. Confirm with the owner of the install before closing.',
};

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
    scenario: 'Inbound sessions from an IOC address',
    guidance:
      'C2 and payload servers also scan the internet. Rows with IocIsDestination false and DvcActions showing only deny or drop are usually noise; prioritise allowed sessions to the IOC (IocIsDestination true) with SrcBytes or DstBytes beyond a handshake.',
    applies: (table, types) => table === '_Im_NetworkSession' && has(types, 'ipv4', 'ipv6'),
  },
  {
    scenario: 'DNS answer pointing at a shared address',
    guidance:
      'A row with IocType ip means a lookup was answered with an IOC address, whatever name was asked. Shared hosting and CDN addresses answer for many unrelated names: read QueryNames before escalating, and prefer rows where the name is unknown or newly registered.',
    applies: (table, types) => table === 'DnsEvents' && has(types, 'ipv4', 'ipv6'),
  },
  {
    scenario: 'URL seen in mail but never opened',
    guidance:
      'EmailUrlInfo lists every URL extracted from delivered or blocked mail: a hit proves exposure, not compromise. Purge the messages (NetworkMessageIds) and check UrlClickEvents for the same URLs; escalate only users who clicked through.',
    applies: (table) => table === 'EmailUrlInfo',
  },
  {
    scenario: 'Sinkholed or parked domain',
    guidance: (c) =>
      `After a takedown, IOC domains often resolve to a sinkhole (Shadowserver, Microsoft DCU, registrar parking). A client that keeps asking for the name is still likely infected and beaconing, so investigate ${c.asking}; but traffic to the sinkhole address is not C2. Check ${c.contacted} against known sinkhole ranges before escalating.`,
    applies: (table, types) => (DNS_TABLES.includes(table) || NETWORK_TABLES.includes(table)) && has(types, 'domain'),
  },
  {
    scenario: 'Security tooling resolving or fetching IOCs',
    guidance: (c) =>
      `Threat-intelligence platforms, SOAR enrichment, mail gateways, proxies with URL detonation and malware sandboxes look up and download IOCs by design. Identify those systems by ${c.asking} and keep them in a watchlist you join against; exclude the system, never the IOC.`,
    applies: (table, types) => !MAIL_TABLES.includes(table) && has(types, 'domain', 'url', 'ipv4', 'ipv6'),
  },
  {
    scenario: 'Compromised legitimate website',
    guidance: (c, familyId) =>
      `Payload-delivery URLs often sit on hijacked legitimate sites${familyId === NETSUPPORT_FAMILY ? ' (the fake-browser-update chains that drop NetSupport inject into compromised WordPress sites)' : ''}. Then only the IOC URL path is malicious, which is why URL IOCs are matched on a path boundary, and ${c.domainHit} is weak on its own. Look for a download from the host (DeviceFileEvents, FileOriginUrl) or a script engine (wscript, mshta, PowerShell) starting on the same device shortly after.`,
    applies: (_table, types) => has(types, 'url', 'domain'),
  },
  {
    scenario: 'Recursive lookups by the DNS server itself',
    guidance:
      "Windows DNS logs the lookups it makes on a client's behalf (recursion to forwarders or root servers) with the server as the source. Rows with AskedByDnsServer true (SrcIpAddr 127.0.0.1 or the server's own address) are that recursion, not an infected DNS server: the client is in the rows with AskedByDnsServer false for the same MatchedIoc and DnsServer. If only recursion rows exist, the connector's data collection filters may drop the query-received events (EventOriginalType 256); the client is then found in the server's other logs or in DeviceNetworkEvents.",
    applies: (table, types) => table === 'ASimDnsActivityLogs' && has(types, 'domain'),
  },
  {
    scenario: 'Lookup that failed or was refused',
    guidance:
      "ResultDetails NXDOMAIN, SERVFAIL or REFUSED means the name did not resolve (often after a takedown, or a DNS policy or protective-DNS block): no connection followed that lookup. The asking SrcIpAddr still tried to reach the family's infrastructure, so triage it as for a resolved lookup; do not close the hit because the answer was empty.",
    applies: (table, types) => table === 'ASimDnsActivityLogs' && has(types, 'domain'),
  },
  {
    scenario: 'Click blocked by Safe Links',
    guidance:
      "A row with ClickedThrough false means Safe Links blocked the user: no compromise from that click, but the user and the message (NetworkMessageIds) were targeted, so purge the message and look for the same sender elsewhere. Rows with ClickedThrough true need endpoint follow-up on the user's devices.",
    applies: (table) => table === 'UrlClickEvents',
  },
  {
    scenario: 'Samples handled by security staff or tools',
    guidance:
      "Antivirus quarantine, EDR file collection, sandboxes and analysts' malware-analysis machines create files with IOC hashes. Check FolderPath (quarantine and analysis folders) and DeviceName against your analysis hosts before treating a file event as an infection; a process start (DeviceProcessEvents) outside such hosts is not explained this way.",
    applies: (table, types) =>
      (table === 'DeviceFileEvents' || table === 'DeviceProcessEvents') && has(types, 'sha256', 'sha1', 'md5'),
  },
  {
    ...NETSUPPORT_IT_INSTALL,
    applies: (table, _types, familyId) => familyId === NETSUPPORT_FAMILY && DEFENDER_ENDPOINT.includes(table),
  },
  {
    scenario: 'Legitimate NetSupport gateway traffic',
    guidance:
      "Organisations that use NetSupport Manager over the internet talk to NetSupport's own or their hosted connectivity servers; those are not in ThreatFox. A hit on an IOC address is not explained by NetSupport being licensed in your estate: compare the destination with the gateway configured in your deployment's client32.ini.",
    applies: (table, types, familyId) =>
      familyId === NETSUPPORT_FAMILY && NETWORK_TABLES.includes(table) && has(types, 'ipv4', 'ipv6', 'domain'),
  },
];

/** The false-positive guidance for one hunting query, in a fixed order. */
export function falsePositivesFor(table: HuntedTable, types: Iterable<IocType>, familyId: string): FalsePositive[] {
  const typeSet = new Set(types);
  return RULES.filter((r) => r.applies(table, typeSet, familyId)).map(({ scenario, guidance }) => ({
    scenario,
    guidance: typeof guidance === 'function' ? guidance(columnsOf([table]), familyId) : guidance,
  }));
}

/**
 * One scenario's guidance said once for several tables (the report's triage section), naming each
 * table's columns; undefined when the scenario is not one of these rules (a behaviour hunt's own).
 */
export function guidanceForTables(scenario: string, tables: readonly string[], familyId: string): string | undefined {
  const rule = RULES.find((r) => r.scenario === scenario);
  const known = tables.filter((t): t is HuntedTable => Object.hasOwn(ASKING_SYSTEM, t));
  if (!rule || known.length === 0) return undefined;
  return typeof rule.guidance === 'function' ? rule.guidance(columnsOf(known), familyId) : rule.guidance;
}

function columnsOf(tables: readonly HuntedTable[]): Columns {
  const named = (byTable: Readonly<Record<HuntedTable, string>>) => {
    const names = [...new Set(tables.map((t) => byTable[t]))];
    const last = names.pop() ?? '';
    return names.length === 0 ? last : `${names.join(', ')} or ${last} (by table)`;
  };
  const dns = tables.filter((t) => DNS_TABLES.includes(t)).length;
  return {
    asking: named(ASKING_SYSTEM),
    contacted: named(CONTACTED_ADDRESS),
    domainHit:
      dns === tables.length
        ? 'a lookup of the domain'
        : dns > 0
          ? 'a domain-level hit or lookup'
          : 'a domain-level hit',
  };
}
