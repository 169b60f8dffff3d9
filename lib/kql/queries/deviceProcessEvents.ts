import {
  assemble,
  CONNECTORS,
  DEVICE_ENTITY,
  entity,
  netSupportOutsideProgramFiles,
  recentRows,
  type TableHunt,
} from './common';
import { hashHits } from './match';
import { NETSUPPORT_FAMILY } from '../../content/family';

/**
 * Defender for Endpoint process events: a process started from a file with an IOC hash, or started
 * by one (the parent's hash), with its command line and account.
 */
export const deviceProcessEventsHunt: TableHunt = {
  table: 'DeviceProcessEvents',
  iocTypes: ['sha256', 'sha1', 'md5'],
  kinds: ['sha256', 'sha1', 'md5'],
  dataDescription: 'Microsoft Defender for Endpoint process events (DeviceProcessEvents)',
  hitMeaning:
    'A row is a process started from a file with one of these hashes (MatchedOn "process") or started by one (MatchedOn "parent process"): the file ran.',
  triage:
    'review CommandLines and ParentProcesses for how it was launched; outside malware-analysis hosts, treat the device (DeviceName) and account (AccountName) as compromised until shown otherwise.',
  requiredDataConnectors: CONNECTORS.m365d('DeviceProcessEvents'),
  entityMappings: [
    DEVICE_ENTITY,
    entity('Account', { Name: 'AccountName', NTDomain: 'AccountDomain' }),
    entity('FileHash', { Algorithm: 'HashAlgorithm', Value: 'MatchedIoc' }),
  ],
  build(source, ctx) {
    const hashes = hashHits(source, [
      { sha256: 'SHA256', sha1: 'SHA1', md5: 'MD5', label: 'process' },
      {
        sha256: 'InitiatingProcessSHA256',
        sha1: 'InitiatingProcessSHA1',
        md5: 'InitiatingProcessMD5',
        label: 'parent process',
      },
    ]);
    const netSupport = ctx.familyId === NETSUPPORT_FAMILY;
    // The flag reads the path of the process that matched: the parent's when the hash was the parent's.
    const flag = netSupport
      ? `\n    | extend NetSupportClientOutsideProgramFiles = iff(MatchedOn == "parent process",
        ${netSupportOutsideProgramFiles('InitiatingProcessFileName', 'InitiatingProcessFolderPath')},
        ${netSupportOutsideProgramFiles('FileName', 'FolderPath')})`
      : '';
    return assemble(this, source, ctx, {
      huntsFor: "processes started from, or by, files with the family's hashes",
      lists: hashes.lists,
      branches: [
        {
          name: 'hashHits',
          text: `let hashHits = ${recentRows('DeviceProcessEvents', hashes.where)}
${hashes.extend.replace(/^/gm, '    ')}${flag};`,
        },
      ],
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ProcessCount = count(),
    CommandLines = make_set(ProcessCommandLine, 5), ParentProcesses = make_set(InitiatingProcessFileName, 5),
    ParentCommandLines = make_set(InitiatingProcessCommandLine, 5)
    by HashAlgorithm, MatchedIoc, MatchedOn, DeviceName, DeviceId, AccountDomain, AccountName, FileName, FolderPath${netSupport ? ', NetSupportClientOutsideProgramFiles' : ''}
| order by LastSeen desc`,
    });
  },
};
