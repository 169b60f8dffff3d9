import { CONNECTORS, familyTriage, hashHits, header, lookbackLet, type TableHunt } from './common';

/**
 * Defender for Endpoint file events: where a file with an IOC hash was created, modified or
 * renamed, and where it was downloaded from.
 */
export const deviceFileEventsHunt: TableHunt = {
  table: 'DeviceFileEvents',
  iocTypes: ['sha256', 'sha1', 'md5'],
  dataDescription: 'Microsoft Defender for Endpoint file events (DeviceFileEvents)',
  hitMeaning: 'A row is a file with one of these hashes created, modified or renamed on an onboarded device; it may not have run.',
  triage:
    'OriginUrls, OriginIPs and InitiatingProcesses show how the file arrived; rule out quarantine and analysis folders (FolderPath), then check DeviceProcessEvents for whether it was started.',
  requiredDataConnectors: CONNECTORS.m365d('DeviceFileEvents'),
  entityMappings: [
    { entityType: 'Host', fieldMappings: [{ identifier: 'FullName', columnName: 'DeviceName' }] },
    { entityType: 'FileHash', fieldMappings: [{ identifier: 'Algorithm', columnName: 'HashAlgorithm' }, { identifier: 'Value', columnName: 'MatchedIoc' }] },
    { entityType: 'File', fieldMappings: [{ identifier: 'Name', columnName: 'FileName' }, { identifier: 'Directory', columnName: 'FolderPath' }] },
  ],
  build(iocs, ctx) {
    const hashes = hashHits(iocs, [{ sha256: 'SHA256', sha1: 'SHA1', md5: 'MD5', label: 'file' }]);
    return `${header(this, `Hunts ${this.dataDescription} for files with the family's hashes.`, iocs, ctx)}
${lookbackLet(ctx)}
${hashes.lets}
DeviceFileEvents
| where TimeGenerated > ago(lookback)
| where ${hashes.where}
${hashes.extend}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), EventCount = count(),
    ActionTypes = make_set(ActionType, 10), OriginUrls = make_set(FileOriginUrl, 10), OriginIPs = make_set(FileOriginIP, 10),
    InitiatingProcesses = make_set(InitiatingProcessFileName, 10), Accounts = make_set(InitiatingProcessAccountName, 10)
    by HashAlgorithm, MatchedIoc, DeviceName, DeviceId, FileName, FolderPath
${familyTriage(ctx.familyId, 'FileName', 'FolderPath')}| order by LastSeen desc`;
  },
};
