import type { ListName } from '../source';
import {
  assemble,
  CONNECTORS,
  EVENT_KEY,
  header,
  hostExpr,
  MATCH_RANK,
  NETSUPPORT_FAMILY,
  netSupportOutsideProgramFiles,
  portMatch,
  urlKeyExpr,
  webBranches,
  type Branch,
  type TableHunt,
} from './common';

/**
 * Defender for Endpoint network events: which process on which device talked to the family's
 * infrastructure. RemoteIP is matched in every form it is logged in (as is, IPv4-mapped, IPv6 in
 * full); RemoteUrl holds a bare host for most connections and a full URL for some, so domains (and
 * the hosts of URL IOCs) are matched on its host part, exact or subdomain, and URLs on the whole value.
 */
export const deviceNetworkEventsHunt: TableHunt = {
  table: 'DeviceNetworkEvents',
  iocTypes: ['ipv4', 'ipv6', 'domain', 'url'],
  kinds: ['ip', 'domain', 'url'],
  dataDescription: 'Microsoft Defender for Endpoint network events (DeviceNetworkEvents)',
  hitMeaning: 'A row is a process on an onboarded device that connected, or tried to connect, to this infrastructure.',
  triage:
    'ActionTypes say whether the connection succeeded; judge the process (InitiatingProcessFileName, FolderPath, parent): a browser fetching a delivery URL is a different case from an unknown binary in a user-writable folder talking to C2.',
  requiredDataConnectors: CONNECTORS.m365d('DeviceNetworkEvents'),
  entityMappings: [
    { entityType: 'Host', fieldMappings: [{ identifier: 'FullName', columnName: 'DeviceName' }] },
    { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'RemoteIP' }] },
    {
      entityType: 'Process',
      fieldMappings: [
        { identifier: 'ProcessId', columnName: 'InitiatingProcessId' },
        { identifier: 'CommandLine', columnName: 'InitiatingProcessCommandLine' },
      ],
    },
  ],
  build(source, ctx) {
    const ip = source.has('ip');
    const webCount = (source.has('domain') ? 1 : 0) + (source.has('url') ? 1 : 0);
    const keyed = (ip ? 1 : 0) + webCount > 1;
    const lists: ListName[] = [];
    const branches: Branch[] = [];
    if (ip) {
      lists.push('iocIpByForm', 'iocIpPorts');
      branches.push({
        name: 'ipHits',
        text: `let ipHits = DeviceNetworkEvents
    | where TimeGenerated > ago(lookback)
    | where RemoteIP in~ (iocIpForms)${keyed ? `\n    ${EVENT_KEY}` : ''}
    | extend IocType = "ip", MatchedIoc = tostring(iocIpByForm[tolower(RemoteIP)])${keyed ? `, MatchRank = ${MATCH_RANK.ip}` : ''}
${portMatch('RemotePort', '    ')};`,
      });
    }
    const web = webBranches(source, {
      read: `DeviceNetworkEvents
    | where TimeGenerated > ago(lookback)
    | where RemoteUrl has_any (iocHosts)`,
      extend: `| extend RemoteHost = ${hostExpr('RemoteUrl')}, UrlKey = ${urlKeyExpr('RemoteUrl')}`,
      hostColumns: ['RemoteHost'],
      urlGuard: 'RemoteUrl contains "/"',
      otherBranches: ip ? 1 : 0,
      portColumn: 'RemotePort',
    });
    lists.push(...web.lists);
    branches.push(...web.branches);
    const flag =
      ctx.familyId === NETSUPPORT_FAMILY
        ? `| extend NetSupportClientOutsideProgramFiles = ${netSupportOutsideProgramFiles('InitiatingProcessFileName', 'InitiatingProcessFolderPath')}\n`
        : '';
    return assemble({
      header: header(
        this,
        `Hunts ${this.dataDescription} for processes that contacted the family's infrastructure.`,
        source,
        ctx,
      ),
      ctx,
      source,
      lists,
      shared: web.shared,
      branches,
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ConnectionCount = count(),
    ActionTypes = make_set(ActionType, 10), RemoteUrls = make_set(RemoteUrl, 10), RemotePorts = make_set(RemotePort, 10),
    take_any(InitiatingProcessCommandLine, InitiatingProcessId),
    InitiatingProcessAccounts = make_set(InitiatingProcessAccountName, 10)
    by IocType, MatchedIoc, PortMatchesIoc, DeviceName, DeviceId, RemoteIP, InitiatingProcessFileName,
    InitiatingProcessFolderPath, InitiatingProcessSHA1, InitiatingProcessParentFileName
${flag}| order by LastSeen desc`,
    });
  },
};
