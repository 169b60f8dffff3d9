import {
  assemble,
  CONNECTORS,
  DEVICE_ENTITY,
  entity,
  FILE_ENTITY,
  keying,
  netSupportFlagLine,
  recentRows,
  type Branch,
  type TableHunt,
} from './common';
import { hashHits, urlMatch, urlKeyExpr } from './match';
import type { ListName } from '../source';

/**
 * Defender for Endpoint file events: a file with an IOC hash created, modified or renamed, or a file
 * downloaded from an IOC URL (FileOriginUrl) or IP (FileOriginIP), whatever its hash. A download
 * from the family's delivery URL is often the first sight of a new build whose hash is not known yet.
 */
export const deviceFileEventsHunt: TableHunt = {
  table: 'DeviceFileEvents',
  iocTypes: ['sha256', 'sha1', 'md5', 'url', 'ipv4', 'ipv6'],
  kinds: ['sha256', 'sha1', 'md5', 'url', 'ip'],
  dataDescription: 'Microsoft Defender for Endpoint file events (DeviceFileEvents)',
  hitMeaning:
    'A row is a file with one of these hashes (IocType hash), or one downloaded from one of these URLs or IPs (url, ip), created, modified or renamed on an onboarded device; it may not have run.',
  triage:
    'OriginUrls, OriginIPs and InitiatingProcesses show how the file arrived; rule out quarantine and analysis folders (FolderPath), then check DeviceProcessEvents for whether it was started.',
  requiredDataConnectors: CONNECTORS.m365d('DeviceFileEvents'),
  entityMappings: [DEVICE_ENTITY, entity('FileHash', { Algorithm: 'HashAlgorithm', Value: 'FileHash' }), FILE_ENTITY],
  build(source, ctx) {
    const hashes = hashHits(source, [{ sha256: 'SHA256', sha1: 'SHA1', md5: 'MD5', label: 'file' }]);
    const url = source.has('url');
    const ip = source.has('ip');
    const k = keying((hashes.where ? 1 : 0) + (url ? 1 : 0) + (ip ? 1 : 0));
    const lists: ListName[] = [...hashes.lists];
    const branches: Branch[] = [];
    const read = (filter: string) => `${recentRows('DeviceFileEvents', filter)}${k.key}`;
    if (hashes.where) {
      branches.push({
        name: 'hashHits',
        text: `let hashHits = ${read(hashes.where)}
${hashes.extend.replace(/^/gm, '    ')}
    | extend IocType = "hash"${k.rank('hash')};`,
      });
    }
    if (url) {
      lists.push('iocUrls', 'iocHosts');
      branches.push({
        name: 'urlHits',
        text: `let urlHits = ${read(source.hasAny('FileOriginUrl', 'iocHosts'))}
    | extend UrlKey = ${urlKeyExpr('FileOriginUrl')}
${urlMatch('UrlKey', 'iocUrls', '    ')}
    | extend IocType = "url", HashAlgorithm = "SHA256"${k.rank('url')};`,
      });
    }
    if (ip) {
      lists.push('iocIpByForm');
      branches.push({
        name: 'ipHits',
        text: `let ipHits = ${read('FileOriginIP in~ (iocIpForms)')}
    | extend IocType = "ip", MatchedIoc = tostring(iocIpByForm[tolower(FileOriginIP)]), HashAlgorithm = "SHA256"${k.rank('ip')};`,
      });
    }
    return assemble(this, source, ctx, {
      huntsFor: "files with the family's hashes or downloaded from its infrastructure",
      lists,
      branches,
      summary: `| extend FileHash = iff(IocType == "hash", MatchedIoc, SHA256)
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), EventCount = count(),
    ActionTypes = make_set(ActionType, 10), OriginUrls = make_set(FileOriginUrl, 10), OriginIPs = make_set(FileOriginIP, 10),
    InitiatingProcesses = make_set(InitiatingProcessFileName, 10), Accounts = make_set(InitiatingProcessAccountName, 10)
    by IocType, MatchedIoc, HashAlgorithm, FileHash, DeviceName, DeviceId, FileName, FolderPath
${netSupportFlagLine(ctx, 'FileName', 'FolderPath')}| order by LastSeen desc`,
    });
  },
};
