import {
  CONNECTORS, familyTriage, header, hostExpr, ipForms, ipPortsLet, listLet, lookbackLet, ofType, urlKeyExpr, webBranches, type TableHunt,
} from './common';

/**
 * Defender for Endpoint network events: which process on which device talked to the family's
 * infrastructure. RemoteIP is matched in both its plain and IPv4-mapped (`::ffff:a.b.c.d`) forms;
 * RemoteUrl holds a bare host for most connections and a full URL for some, so domains are matched
 * on its host part (exact or subdomain) and URLs on the whole value.
 */
export const deviceNetworkEventsHunt: TableHunt = {
  table: 'DeviceNetworkEvents',
  iocTypes: ['ipv4', 'ipv6', 'domain', 'url'],
  dataDescription: 'Microsoft Defender for Endpoint network events (DeviceNetworkEvents)',
  hitMeaning: 'A row is a process on an onboarded device that connected, or tried to connect, to this infrastructure.',
  triage:
    'ActionTypes say whether the connection succeeded; judge the process (InitiatingProcessFileName, FolderPath, parent): a browser fetching a delivery URL is a different case from an unknown binary in a user-writable folder talking to C2.',
  requiredDataConnectors: CONNECTORS.m365d('DeviceNetworkEvents'),
  entityMappings: [
    { entityType: 'Host', fieldMappings: [{ identifier: 'FullName', columnName: 'DeviceName' }] },
    { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'RemoteIP' }] },
    { entityType: 'Process', fieldMappings: [{ identifier: 'ProcessId', columnName: 'InitiatingProcessId' }, { identifier: 'CommandLine', columnName: 'InitiatingProcessCommandLine' }] },
  ],
  build(iocs, ctx) {
    const ips = ofType(iocs, 'ipv4', 'ipv6');
    const domains = ofType(iocs, 'domain');
    const urls = ofType(iocs, 'url');
    const lets: string[] = [lookbackLet(ctx)];
    const branches: string[] = [];
    const names: string[] = [];

    if (ips.length > 0) {
      lets.push(ipPortsLet('iocIpPorts', ips), listLet('iocIpForms', ipForms(ips.map((i) => i.value))));
      names.push('ipHits');
      branches.push(`let ipHits = DeviceNetworkEvents
    | where TimeGenerated > ago(lookback)
    | where RemoteIP in (iocIpForms)
    | extend IocType = "ip", MatchedIoc = iff(RemoteIP startswith "::ffff:" and RemoteIP contains ".", substring(RemoteIP, 7), RemoteIP)
    | extend IocPorts = iocIpPorts[MatchedIoc]
    | extend PortMatchesIoc = iff(array_length(IocPorts) == 0, bool(null), set_has_element(IocPorts, RemotePort))
    | project-away IocPorts;`);
    }
    const web = webBranches(domains, urls, {
      read: `DeviceNetworkEvents
    | where TimeGenerated > ago(lookback)
    | where RemoteUrl has_any (iocHosts)
    | extend RemoteHost = ${hostExpr('RemoteUrl')}, UrlKey = ${urlKeyExpr('RemoteUrl')}`,
      hostColumn: 'RemoteHost',
      urlGuard: 'RemoteUrl contains "/"',
    });
    lets.push(...web.lets);
    branches.push(...web.branches);
    names.push(...web.names);

    const source = names.length === 1 ? names[0]! : `union ${names.join(', ')}`;
    return `${header(this, `Hunts ${this.dataDescription} for processes that contacted the family's infrastructure.`, iocs, ctx)}
${lets.join('\n')}
${branches.join('\n')}
${source}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ConnectionCount = count(),
    ActionTypes = make_set(ActionType, 10), RemoteUrls = make_set(RemoteUrl, 10), RemotePorts = make_set(RemotePort, 10),
    take_any(InitiatingProcessCommandLine, InitiatingProcessId),
    InitiatingProcessAccounts = make_set(InitiatingProcessAccountName, 10)
    by IocType, MatchedIoc, PortMatchesIoc, DeviceName, DeviceId, RemoteIP, InitiatingProcessFileName,
    InitiatingProcessFolderPath, InitiatingProcessSHA1, InitiatingProcessParentFileName
${familyTriage(ctx.familyId, 'InitiatingProcessFileName', 'InitiatingProcessFolderPath')}| order by LastSeen desc`;
  },
};
