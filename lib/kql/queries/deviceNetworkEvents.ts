import { ipAndWebBranches } from './branches';
import {
  assemble,
  CONNECTORS,
  DEVICE_ENTITY,
  entity,
  INITIATING_PROCESS_ENTITY,
  netSupportFlagLine,
  recentRows,
  type TableHunt,
} from './common';
import { hostExpr, portMatch, urlKeyExpr } from './match';

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
  entityMappings: [DEVICE_ENTITY, entity('IP', { Address: 'RemoteIP' }), INITIATING_PROCESS_ENTITY],
  build(source, ctx) {
    const branches = ipAndWebBranches(
      source,
      (k) => `let ipHits = ${recentRows('DeviceNetworkEvents', 'RemoteIP in~ (iocIpForms)')}${k.key}
    | extend IocType = "ip", MatchedIoc = tostring(iocIpByForm[tolower(RemoteIP)])${k.rank('ip')}
${portMatch('RemotePort', '    ')};`,
      {
        read: recentRows('DeviceNetworkEvents', source.hasAny('RemoteUrl', 'iocHosts')),
        extend: `| extend RemoteHost = ${hostExpr('RemoteUrl')}, UrlKey = ${urlKeyExpr('RemoteUrl')}`,
        hostColumns: ['RemoteHost'],
        urlGuard: 'RemoteUrl contains "/"',
        portColumn: 'RemotePort',
      },
    );
    return assemble(this, source, ctx, {
      huntsFor: "processes that contacted the family's infrastructure",
      ...branches,
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ConnectionCount = count(),
    ActionTypes = make_set(ActionType, 10), RemoteUrls = make_set(RemoteUrl, 10), RemotePorts = make_set(RemotePort, 10),
    take_any(InitiatingProcessCommandLine, InitiatingProcessId),
    InitiatingProcessAccounts = make_set(InitiatingProcessAccountName, 10)
    by IocType, MatchedIoc, PortMatchesIoc, DeviceName, DeviceId, RemoteIP, InitiatingProcessFileName,
    InitiatingProcessFolderPath, InitiatingProcessSHA1, InitiatingProcessParentFileName
${netSupportFlagLine(ctx, 'InitiatingProcessFileName', 'InitiatingProcessFolderPath')}| order by LastSeen desc`,
    });
  },
};
