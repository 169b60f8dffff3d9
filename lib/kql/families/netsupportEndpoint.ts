import { CONNECTORS, DEVICE_ENTITY, FILE_ENTITY, INITIATING_PROCESS_ENTITY, entity } from '../queries/common';
import { IT_INSTALL, outsideProgramFiles, type Spec } from './netsupportSpec';

/**
 * NetSupport behaviour hunts over Defender for Endpoint device tables: the client where a managed
 * install never is, under another name, kept alive by a Run key or service, configured by a
 * client32.ini dropped next to it, and signed by NetSupport Ltd yet outside Program Files.
 */

const m365d = (...tables: string[]) =>
  tables.map((t) => ({ connectorId: 'MicrosoftThreatProtection', dataTypes: [t] }));

/** Client binaries on each device, found by the name in their version information (a renamed copy keeps it). */
const CLIENT_BINARIES = `let clientBinaries = DeviceProcessEvents
    | where TimeGenerated between ((starttime - 30d) .. endtime)
    | where ProcessVersionInfoOriginalFileName =~ "client32.exe" or FileName =~ "client32.exe"
    | summarize by DeviceId, ClientPath = tolower(FolderPath), ClientFile = tolower(FileName), ClientOriginalName = ProcessVersionInfoOriginalFileName;`;

export const ENDPOINT_SPECS: readonly Spec[] = [
  {
    slug: 'client-outside-program-files',
    table: 'DeviceProcessEvents',
    tables: ['DeviceProcessEvents'],
    connectors: CONNECTORS.m365d('DeviceProcessEvents'),
    name: 'NetSupport Manager client (client32.exe) running outside Program Files',
    what: 'Hunts Defender for Endpoint process events for the NetSupport Manager client started from anywhere but Program Files, where the RAT drops it.',
    hitMeaning: 'A row is a device where client32.exe ran from a folder no managed install uses.',
    triage:
      'read FolderPath and the client32.ini next to it (its Gateway and SecondaryGateway lines name the controller), then how it started (Parents, ParentCommandLines): a script host, a browser download or a Run key points to the RAT.',
    tactics: ['CommandAndControl'],
    techniques: ['T1219'],
    entityMappings: [DEVICE_ENTITY, FILE_ENTITY, entity('FileHash', { Algorithm: 'HashAlgorithm', Value: 'SHA256' })],
    falsePositives: [IT_INSTALL],
    body: () => `DeviceProcessEvents
| where TimeGenerated between (starttime .. endtime)
| where FileName =~ "client32.exe" or ProcessVersionInfoOriginalFileName =~ "client32.exe"
| where ${outsideProgramFiles('FolderPath')}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Starts = count(),
    CommandLines = make_set(ProcessCommandLine, 5), Parents = make_set(InitiatingProcessFileName, 5),
    ParentCommandLines = make_set(InitiatingProcessCommandLine, 5), Accounts = make_set(AccountName, 5)
    by DeviceName, DeviceId, FileName, FolderPath, SHA256, ProcessVersionInfoProductName
| extend HashAlgorithm = "SHA256"
| order by LastSeen desc`,
  },
  {
    slug: 'renamed-client',
    table: 'DeviceProcessEvents',
    tables: ['DeviceProcessEvents'],
    connectors: CONNECTORS.m365d('DeviceProcessEvents'),
    name: 'NetSupport Manager client running under another file name',
    what: 'Hunts Defender for Endpoint process events for binaries whose version information says NetSupport client but whose file name is not client32.exe.',
    hitMeaning:
      'A row is a renamed NetSupport client (version information of client32.exe under another name) or a NetSupport-branded binary started outside Program Files under an unknown name.',
    triage:
      'compare FileName with OriginalFileName: a renamed client in a user-writable folder is the RAT hiding; check its client32.ini and its parent process, and look for the same SHA256 on other devices.',
    tactics: ['DefenseEvasion', 'CommandAndControl'],
    techniques: ['T1036.003', 'T1219'],
    entityMappings: [DEVICE_ENTITY, FILE_ENTITY, entity('FileHash', { Algorithm: 'HashAlgorithm', Value: 'SHA256' })],
    falsePositives: [
      IT_INSTALL,
      {
        scenario: 'Other NetSupport components',
        guidance:
          'NetSupport installs ship further binaries with the same product name (configurator, tutor or control consoles). Under Program Files they are excluded here; elsewhere, compare OriginalFileName and SHA256 with a known install before calling a hit benign.',
      },
    ],
    body: () => `DeviceProcessEvents
| where TimeGenerated between (starttime .. endtime)
| where ProcessVersionInfoOriginalFileName =~ "client32.exe"
    or (ProcessVersionInfoProductName has "NetSupport" and ${outsideProgramFiles('FolderPath')})
| where FileName !~ "client32.exe"
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Starts = count(),
    CommandLines = make_set(ProcessCommandLine, 5), Parents = make_set(InitiatingProcessFileName, 5), Accounts = make_set(AccountName, 5)
    by DeviceName, DeviceId, FileName, FolderPath, SHA256, OriginalFileName = ProcessVersionInfoOriginalFileName,
    ProductName = ProcessVersionInfoProductName
| extend HashAlgorithm = "SHA256"
| order by LastSeen desc`,
  },
  {
    slug: 'client-persistence',
    table: 'DeviceRegistryEvents',
    tables: ['DeviceRegistryEvents', 'DeviceProcessEvents'],
    connectors: m365d('DeviceRegistryEvents', 'DeviceProcessEvents'),
    name: 'NetSupport Manager client persistence through a Run key or the Client32 service, renamed copies included',
    what: 'Hunts Defender for Endpoint registry events for a Run or RunOnce value that starts the NetSupport client, found by client32 in the value or by the path of a binary whose version information names client32.exe (a renamed copy), and for the Client32 service being created or pointed at a binary.',
    hitMeaning:
      'A row is a device where the NetSupport client was set to start at logon (Run key) or at boot (Client32 service ImagePath); FoundBy says whether by its name or by the original file name of a renamed copy.',
    triage:
      'a Run key starting the client from AppData or ProgramData is the RAT\'s usual persistence, and FoundBy "original file name" means it was renamed to hide; for the service, compare RegistryValueData (ImagePath) with Program Files and SetBy with your installer.',
    tactics: ['Persistence', 'PrivilegeEscalation', 'CommandAndControl'],
    techniques: ['T1547.001', 'T1543.003', 'T1219'],
    entityMappings: [DEVICE_ENTITY],
    falsePositives: [IT_INSTALL],
    body: () => `${CLIENT_BINARIES}
let autostarts = DeviceRegistryEvents
    | where TimeGenerated between (starttime .. endtime)
    | where ActionType in ("RegistryValueSet", "RegistryKeyCreated")
    | where RegistryKey contains @"\\CurrentVersion\\Run" or (RegistryKey endswith @"\\Services\\Client32" and RegistryValueName =~ "ImagePath");
let byName = autostarts
    | where RegistryValueData contains "client32"
    | extend FoundBy = "file name";
let byOriginalName = autostarts
    | where RegistryKey contains @"\\CurrentVersion\\Run" and not(RegistryValueData contains "client32")
    | join kind=inner clientBinaries on DeviceId
    | where tolower(RegistryValueData) contains ClientPath
    | extend FoundBy = "original file name";
union byName, byOriginalName
| extend Mechanism = iff(RegistryKey contains @"\\Services\\", "service", "run key"),
    TargetOutsideProgramFiles = ${outsideProgramFiles('RegistryValueData')}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Changes = count(),
    SetBy = make_set(InitiatingProcessFileName, 5), SetByCommandLines = make_set(InitiatingProcessCommandLine, 5)
    by DeviceName, DeviceId, Mechanism, FoundBy, TargetOutsideProgramFiles, RegistryKey, RegistryValueName, RegistryValueData
| order by TargetOutsideProgramFiles desc, LastSeen desc`,
  },
  {
    slug: 'client-config-outside-program-files',
    table: 'DeviceFileEvents',
    tables: ['DeviceFileEvents'],
    connectors: CONNECTORS.m365d('DeviceFileEvents'),
    name: 'NetSupport Manager client configuration (client32.ini) written outside Program Files',
    what: 'Hunts Defender for Endpoint file events for client32.ini, the file that names the gateway the NetSupport client connects to, created, changed or renamed anywhere but Program Files.',
    hitMeaning:
      'A row is a client32.ini dropped into a folder no managed install uses, usually next to client32.exe and NSM.LIC in a random folder under AppData or ProgramData: the RAT being installed.',
    triage:
      "fetch the file (FolderPath) and read its Gateway, GSK and SecondaryGateway lines: an address that is not your own NetSupport gateway is the actor's; WrittenBy and WrittenByCommandLines show the dropper (an archive tool, a script host or PowerShell from a fake update).",
    tactics: ['CommandAndControl'],
    techniques: ['T1219', 'T1105'],
    entityMappings: [DEVICE_ENTITY, FILE_ENTITY, INITIATING_PROCESS_ENTITY],
    falsePositives: [
      IT_INSTALL,
      {
        scenario: 'Packaging and deployment staging',
        guidance:
          'Software distribution may stage a NetSupport package in a temporary or cache folder (the ConfigMgr cache, an Intune staging folder) before installing it under Program Files. Such a hit is written by your deployment agent and followed by an install; one written by an archive tool, a browser or a script host under a user profile is not.',
      },
    ],
    body: () => `DeviceFileEvents
| where TimeGenerated between (starttime .. endtime)
| where FileName =~ "client32.ini"
| where ActionType in ("FileCreated", "FileModified", "FileRenamed")
| where ${outsideProgramFiles('FolderPath')}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Writes = count(),
    WrittenBy = make_set(InitiatingProcessFileName, 5), WrittenByCommandLines = make_set(InitiatingProcessCommandLine, 5),
    take_any(InitiatingProcessId, InitiatingProcessCommandLine)
    by DeviceName, DeviceId, FileName, FolderPath
| order by LastSeen desc`,
  },
  {
    slug: 'signed-client-outside-program-files',
    table: 'DeviceFileCertificateInfo',
    tables: ['DeviceFileCertificateInfo', 'DeviceProcessEvents'],
    connectors: m365d('DeviceFileCertificateInfo', 'DeviceProcessEvents'),
    name: 'Binary signed by NetSupport running outside Program Files',
    what: "Hunts Defender for Endpoint certificate information for binaries whose signer names NetSupport, and their process starts outside Program Files, whatever the file is called: the RAT is NetSupport's genuine, signed client.",
    hitMeaning:
      'A row is a NetSupport-signed binary that ran from a folder no managed install uses; the signature proves the file is genuine NetSupport software, not that its use is legitimate.',
    triage:
      'the file name and folder (FileName, FolderPath) under AppData, ProgramData or Temp, started by a script host or a Run key (Parents), point to the RAT; compare SHA1 with your managed install and read the client32.ini next to it.',
    tactics: ['CommandAndControl', 'DefenseEvasion'],
    techniques: ['T1219', 'T1036'],
    entityMappings: [DEVICE_ENTITY, FILE_ENTITY, entity('FileHash', { Algorithm: 'HashAlgorithm', Value: 'SHA1' })],
    falsePositives: [IT_INSTALL],
    // Certificate information is reported when Defender first sees a file, often before it runs: read 30 days before the range.
    body: () => `let netSupportSigned = DeviceFileCertificateInfo
    | where TimeGenerated between ((starttime - 30d) .. endtime)
    | where Signer has "NetSupport"
    | summarize Signers = make_set(Signer, 5), Issuers = make_set(Issuer, 5), Trusted = max(toint(IsTrusted)) == 1 by SHA1;
DeviceProcessEvents
| where TimeGenerated between (starttime .. endtime)
| where SHA1 in (netSupportSigned | project SHA1)
| where ${outsideProgramFiles('FolderPath')}
| lookup kind=inner netSupportSigned on SHA1
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), Starts = count(),
    Parents = make_set(InitiatingProcessFileName, 5), CommandLines = make_set(ProcessCommandLine, 5)
    by DeviceName, DeviceId, FileName, FolderPath, SHA1, OriginalFileName = ProcessVersionInfoOriginalFileName,
    Signers = tostring(Signers), Trusted
| extend HashAlgorithm = "SHA1"
| order by LastSeen desc`,
  },
];
