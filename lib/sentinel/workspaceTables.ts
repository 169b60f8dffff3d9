import type { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import type { SentinelTarget } from '../config';
import type { HuntingQuery } from '../kql/huntingQuery';

/**
 * Which hunts a workspace has the data for. A saved search over a table the workspace does not
 * have fails in the portal ("Failed to resolve table or column expression"), so the sync writes a
 * hunt only when every table it reads exists, and names the hunts it skipped with the data
 * connector that would add their table. A later run, once the table appears, adds the hunt.
 */

/** The workspace's table names, read with ARM `workspaces/{ws}/tables` (list; api-version 2022-10-01 in SDK 9.x). */
export interface WorkspaceTableReader {
  list(signal?: AbortSignal): Promise<Set<string>>;
}

export function armWorkspaceTables(
  client: OperationalInsightsManagementClient,
  target: Pick<SentinelTarget, 'resourceGroup' | 'workspaceName'>,
): WorkspaceTableReader {
  return {
    async list(signal) {
      const names = new Set<string>();
      for await (const table of client.tables.listByWorkspace(target.resourceGroup, target.workspaceName, {
        abortSignal: signal,
      })) {
        if (table.name) names.add(table.name);
      }
      return names;
    },
  };
}

/**
 * ThreatIntelIndicators is filled by the sync itself: the indicators it writes reach the table
 * minutes later, so a new workspace's first run must not skip every hunt for want of it (the
 * check's `ti-table` line says whether it is there).
 */
const FILLED_BY_THE_SYNC = new Set(['threatintelindicators']);

/**
 * The ASIM unifying parsers (`_Im_Dns`, `_Im_NetworkSession`, `_Im_WebSession`) are built into
 * every Microsoft Sentinel workspace (learn.microsoft.com/azure/sentinel/normalization-parsers-overview:
 * "built-in parsers ... deployed in every Microsoft Sentinel workspace"), so they never appear in
 * the tables list; they return rows only from the source tables they normalise (Azure-Sentinel
 * Parsers/ASim<Schema>/Parsers/im<Schema>.yaml). A parser hunt is written when the workspace holds
 * one of the common sources below, the ASIM native table first.
 */
export const ASIM_PARSER_SOURCES: Readonly<Record<string, readonly string[]>> = {
  _Im_Dns: ['ASimDnsActivityLogs', 'DnsEvents', 'AZFWDnsQuery', 'Syslog', 'CommonSecurityLog', 'WindowsEvent', 'Event'],
  _Im_NetworkSession: [
    'ASimNetworkSessionLogs',
    'CommonSecurityLog',
    'DeviceNetworkEvents',
    'AZFWNetworkRule',
    'AzureDiagnostics',
    'Syslog',
    'WindowsEvent',
    'Event',
    'VMConnection',
  ],
  _Im_WebSession: ['ASimWebSessionLogs', 'CommonSecurityLog', 'Syslog', 'W3CIISLog', 'AzureDiagnostics'],
};

const DEFENDER_XDR = 'Microsoft Defender XDR';

/**
 * The data connector that writes each table, by its title in the Sentinel portal (Azure-Sentinel
 * Solutions/…/Data Connectors: `CEF AMA.JSON` "Common Event Format (CEF) via AMA",
 * `MicrosoftThreatProtection.JSON` "Microsoft Defender XDR" (its dataTypes list the Device*, Email*
 * and UrlClickEvents tables), Windows Server DNS `template_ASimDnsActivityLogs.JSON` "Windows DNS
 * Events via AMA" and `template_DNS.JSON` "DNS" (the legacy agent's DnsEvents)).
 */
export const CONNECTOR_BY_TABLE: Readonly<Record<string, string>> = {
  CommonSecurityLog: 'Common Event Format (CEF) via AMA',
  DnsEvents: 'DNS (legacy agent; its successor Windows DNS Events via AMA writes ASimDnsActivityLogs)',
  ASimDnsActivityLogs: 'Windows DNS Events via AMA',
  DeviceNetworkEvents: DEFENDER_XDR,
  DeviceFileEvents: DEFENDER_XDR,
  DeviceProcessEvents: DEFENDER_XDR,
  DeviceRegistryEvents: DEFENDER_XDR,
  DeviceFileCertificateInfo: DEFENDER_XDR,
  DeviceEvents: DEFENDER_XDR,
  UrlClickEvents: `${DEFENDER_XDR} (Defender for Office 365)`,
  EmailUrlInfo: `${DEFENDER_XDR} (Defender for Office 365)`,
  EmailEvents: `${DEFENDER_XDR} (Defender for Office 365)`,
  ThreatIntelIndicators: 'Threat Intelligence (this sync writes the indicators)',
  _Im_Dns: 'a DNS source the ASIM parser normalises, e.g. Windows DNS Events via AMA',
  _Im_NetworkSession: 'a network-session source the ASIM parser normalises, e.g. Common Event Format (CEF) via AMA',
  _Im_WebSession: 'a web-session source the ASIM parser normalises, e.g. Common Event Format (CEF) via AMA',
};

/** A hunt the workspace has no data for: not written, and named with what would add its table. */
export interface SkippedHunt {
  id: string;
  family: string;
  name: string;
  /** The tables (or ASIM parsers) it reads that the workspace lacks. */
  missing: string[];
  /** The data connector for each missing table, as the portal names it. */
  connectors: string[];
}

function has(tables: ReadonlySet<string>, name: string): boolean {
  return tables.has(name.toLowerCase());
}

/** Whether the workspace can answer a query over `table` (a table it holds, or an ASIM parser with a source). */
export function tableAvailable(tables: ReadonlySet<string>, table: string): boolean {
  if (FILLED_BY_THE_SYNC.has(table.toLowerCase())) return true;
  const sources = ASIM_PARSER_SOURCES[table];
  if (sources) return sources.some((s) => has(tables, s));
  return has(tables, table);
}

/** The hunts a workspace with these tables can run, and the others with the connector each needs. */
export function huntsForWorkspace(
  queries: readonly HuntingQuery[],
  tableNames: Iterable<string>,
): { kept: HuntingQuery[]; skipped: SkippedHunt[] } {
  const tables = new Set([...tableNames].map((t) => t.toLowerCase()));
  const kept: HuntingQuery[] = [];
  const skipped: SkippedHunt[] = [];
  for (const q of queries) {
    const missing = q.requiredTables.filter((t) => !tableAvailable(tables, t));
    if (missing.length === 0) {
      kept.push(q);
      continue;
    }
    const connectors = [...new Set(missing.map((t) => CONNECTOR_BY_TABLE[t] ?? `the connector that writes ${t}`))];
    skipped.push({ id: q.id, family: q.family, name: q.name, missing, connectors });
  }
  return { kept, skipped };
}

/**
 * "Microsoft Defender XDR for DeviceNetworkEvents, DeviceProcessEvents; …": each connector once,
 * with the missing tables it would add, so the line stays short.
 */
export function describeSkipped(skipped: readonly SkippedHunt[]): string {
  const byConnector = new Map<string, Set<string>>();
  for (const s of skipped)
    for (const t of s.missing) {
      const connector = CONNECTOR_BY_TABLE[t] ?? `the connector that writes ${t}`;
      byConnector.set(connector, (byConnector.get(connector) ?? new Set()).add(t));
    }
  return [...byConnector].map(([c, tables]) => `${c} for ${[...tables].join(', ')}`).join('; ');
}
