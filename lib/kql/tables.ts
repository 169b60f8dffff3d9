/**
 * Column schemas of the tables our hunting queries read, as a Log Analytics workspace with
 * Microsoft Sentinel exposes them. Written from Microsoft's Azure Monitor table references
 * (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>; source:
 * MicrosoftDocs/azure-reference-other, azure-monitor-ref/tables/includes/<table>-include.md) and,
 * for the Defender XDR tables' `Timestamp` column, Azure-Sentinel's KQL validation schemas
 * (.script/tests/KqlvalidationsTests/CustomTables). ASimDnsActivityLogs is the normalised (ASIM DNS
 * schema) table the "Windows DNS Events via AMA" connector writes, successor of the MMA agent's
 * DnsEvents. Tests check every generated query against
 * these with the Kusto language service, so a misspelt column fails the build, not the hunt.
 */

export type KqlColumnType = 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'dynamic' | 'guid' | 'timespan';

export const HUNTED_TABLES = [
  'CommonSecurityLog',
  'DeviceNetworkEvents',
  'DnsEvents',
  'ASimDnsActivityLogs',
  'UrlClickEvents',
  'DeviceFileEvents',
  'DeviceProcessEvents',
] as const;
export type HuntedTable = (typeof HUNTED_TABLES)[number];

export type TableSchema = Readonly<Record<string, KqlColumnType>>;

/** `"Name:type Name:type ..."` → schema; keeps the lists below readable and diffable. */
function columns(spec: string): TableSchema {
  const schema: Record<string, KqlColumnType> = {};
  for (const entry of spec.trim().split(/\s+/)) {
    const [name, type] = entry.split(':') as [string, KqlColumnType];
    schema[name] = type;
  }
  return Object.freeze(schema);
}

/** Columns every Log Analytics table carries. */
const STANDARD = '_BilledSize:real _IsBillable:string _ResourceId:string _SubscriptionId:string Type:string TenantId:string SourceSystem:string';

/** Columns the Defender XDR tables share for the process that caused the event. */
const INITIATING_PROCESS = `
  InitiatingProcessAccountDomain:string InitiatingProcessAccountName:string InitiatingProcessAccountObjectId:string
  InitiatingProcessAccountSid:string InitiatingProcessAccountUpn:string InitiatingProcessCommandLine:string
  InitiatingProcessCreationTime:datetime InitiatingProcessFileName:string InitiatingProcessFileSize:long
  InitiatingProcessFolderPath:string InitiatingProcessId:long InitiatingProcessIntegrityLevel:string
  InitiatingProcessMD5:string InitiatingProcessParentCreationTime:datetime InitiatingProcessParentFileName:string
  InitiatingProcessParentId:long InitiatingProcessSHA1:string InitiatingProcessSHA256:string
  InitiatingProcessTokenElevation:string InitiatingProcessVersionInfoCompanyName:string
  InitiatingProcessVersionInfoFileDescription:string InitiatingProcessVersionInfoInternalFileName:string
  InitiatingProcessVersionInfoOriginalFileName:string InitiatingProcessVersionInfoProductName:string
  InitiatingProcessVersionInfoProductVersion:string`;

/** Columns of every Defender XDR device table streamed into Sentinel. */
const DEVICE = `ActionType:string AdditionalFields:dynamic AppGuardContainerId:string DeviceId:string DeviceName:string
  MachineGroup:string ReportId:long TimeGenerated:datetime Timestamp:datetime`;

export const TABLE_SCHEMAS: Readonly<Record<HuntedTable, TableSchema>> = Object.freeze({
  CommonSecurityLog: columns(`${STANDARD}
    Activity:string AdditionalExtensions:string ApplicationProtocol:string CollectorHostName:string
    CommunicationDirection:string Computer:string DestinationDnsDomain:string DestinationHostName:string
    DestinationIP:string DestinationMACAddress:string DestinationNTDomain:string DestinationPort:int
    DestinationProcessId:int DestinationProcessName:string DestinationServiceName:string
    DestinationTranslatedAddress:string DestinationTranslatedPort:int DestinationUserID:string
    DestinationUserName:string DestinationUserPrivileges:string DeviceAction:string DeviceAddress:string
    DeviceCustomDate1:string DeviceCustomDate1Label:string DeviceCustomDate2:string DeviceCustomDate2Label:string
    DeviceCustomFloatingPoint1:real DeviceCustomFloatingPoint1Label:string DeviceCustomFloatingPoint2:real
    DeviceCustomFloatingPoint2Label:string DeviceCustomFloatingPoint3:real DeviceCustomFloatingPoint3Label:string
    DeviceCustomFloatingPoint4:real DeviceCustomFloatingPoint4Label:string DeviceCustomIPv6Address1:string
    DeviceCustomIPv6Address1Label:string DeviceCustomIPv6Address2:string DeviceCustomIPv6Address2Label:string
    DeviceCustomIPv6Address3:string DeviceCustomIPv6Address3Label:string DeviceCustomIPv6Address4:string
    DeviceCustomIPv6Address4Label:string DeviceCustomNumber1:int DeviceCustomNumber1Label:string
    DeviceCustomNumber2:int DeviceCustomNumber2Label:string DeviceCustomNumber3:int DeviceCustomNumber3Label:string
    DeviceCustomString1:string DeviceCustomString1Label:string DeviceCustomString2:string
    DeviceCustomString2Label:string DeviceCustomString3:string DeviceCustomString3Label:string
    DeviceCustomString4:string DeviceCustomString4Label:string DeviceCustomString5:string
    DeviceCustomString5Label:string DeviceCustomString6:string DeviceCustomString6Label:string
    DeviceDnsDomain:string DeviceEventCategory:string DeviceEventClassID:string DeviceExternalID:string
    DeviceFacility:string DeviceInboundInterface:string DeviceMacAddress:string DeviceName:string
    DeviceNtDomain:string DeviceOutboundInterface:string DevicePayloadId:string DeviceProduct:string
    DeviceTimeZone:string DeviceTranslatedAddress:string DeviceVendor:string DeviceVersion:string
    EndTime:datetime EventCount:int EventOutcome:string EventType:int ExternalID:int ExtID:string
    FieldDeviceCustomNumber1:long FieldDeviceCustomNumber2:long FieldDeviceCustomNumber3:long
    FileCreateTime:string FileHash:string FileID:string FileModificationTime:string FileName:string
    FilePath:string FilePermission:string FileSize:int FileType:string FlexDate1:string FlexDate1Label:string
    FlexNumber1:int FlexNumber1Label:string FlexNumber2:int FlexNumber2Label:string FlexString1:string
    FlexString1Label:string FlexString2:string FlexString2Label:string IndicatorThreatType:string
    LogSeverity:string MaliciousIP:string MaliciousIPCountry:string MaliciousIPLatitude:real
    MaliciousIPLongitude:real Message:string OldFileCreateTime:string OldFileHash:string OldFileID:string
    OldFileModificationTime:string OldFileName:string OldFilePath:string OldFilePermission:string
    OldFileSize:int OldFileType:string OriginalLogSeverity:string ProcessID:int ProcessName:string
    Protocol:string Reason:string ReceiptTime:string ReceivedBytes:long RemoteIP:string RemotePort:string
    ReportReferenceLink:string RequestClientApplication:string RequestContext:string RequestCookies:string
    RequestMethod:string RequestURL:string SentBytes:long SimplifiedDeviceAction:string SourceDnsDomain:string
    SourceHostName:string SourceIP:string SourceMACAddress:string SourceNTDomain:string SourcePort:int
    SourceProcessId:int SourceProcessName:string SourceServiceName:string SourceTranslatedAddress:string
    SourceTranslatedPort:int SourceUserID:string SourceUserName:string SourceUserPrivileges:string
    StartTime:datetime ThreatConfidence:string ThreatDescription:string ThreatSeverity:int TimeGenerated:datetime`),

  DeviceNetworkEvents: columns(`${STANDARD} ${DEVICE} ${INITIATING_PROCESS}
    LocalIP:string LocalIPType:string LocalPort:int Protocol:string RemoteIP:string RemoteIPType:string
    RemotePort:int RemoteUrl:string`),

  DnsEvents: columns(`${STANDARD}
    ClientIP:string Computer:string Confidence:string Description:string EventId:int IndicatorThreatType:string
    IPAddresses:string MaliciousIP:string Message:string Name:string QueryType:string RemoteIPCountry:string
    RemoteIPLatitude:real RemoteIPLongitude:real Result:string ResultCode:int Severity:int SubType:string
    TaskCategory:string TimeGenerated:datetime`),

  ASimDnsActivityLogs: columns(`${STANDARD}
    AdditionalFields:dynamic DnsFlags:string DnsFlagsAuthenticated:bool DnsFlagsAuthoritative:bool
    DnsFlagsCheckingDisabled:bool DnsFlagsRecursionAvailable:bool DnsFlagsRecursionDesired:bool DnsFlagsTruncated:bool
    DnsFlagsZ:bool DnsNetworkDuration:int DnsQuery:string DnsQueryClass:int DnsQueryClassName:string DnsQueryType:int
    DnsQueryTypeName:string DnsResponseCode:int DnsResponseIpCity:string DnsResponseIpCountry:string
    DnsResponseIpLatitude:real DnsResponseIpLongitude:real DnsResponseIpRegion:string DnsResponseName:string
    DnsSessionId:string Dst:string DstDescription:string DstDeviceType:string DstDomain:string DstDomainType:string
    DstDvcId:string DstDvcIdType:string DstDvcScope:string DstDvcScopeId:string DstFQDN:string DstGeoCity:string
    DstGeoCountry:string DstGeoLatitude:real DstGeoLongitude:real DstGeoRegion:string DstHostname:string
    DstIpAddr:string DstOriginalRiskLevel:string DstPortNumber:int DstRiskLevel:int Dvc:string DvcAction:string
    DvcDescription:string DvcDomain:string DvcDomainType:string DvcFQDN:string DvcHostname:string DvcId:string
    DvcIdType:string DvcInterface:string DvcIpAddr:string DvcMacAddr:string DvcOriginalAction:string DvcOs:string
    DvcOsVersion:string DvcScope:string DvcScopeId:string DvcZone:string EventCount:int EventEndTime:datetime
    EventMessage:string EventOriginalSeverity:string EventOriginalType:string EventOriginalUid:string
    EventOwner:string EventProduct:string EventProductVersion:string EventReportUrl:string EventResult:string
    EventResultDetails:string EventSchemaVersion:string EventSeverity:string EventStartTime:datetime
    EventSubType:string EventType:string EventVendor:string NetworkProtocol:string NetworkProtocolVersion:string
    RuleName:string RuleNumber:int Src:string SrcDescription:string SrcDeviceType:string SrcDomain:string
    SrcDomainType:string SrcDvcId:string SrcDvcIdType:string SrcDvcScope:string SrcDvcScopeId:string SrcFQDN:string
    SrcGeoCity:string SrcGeoCountry:string SrcGeoLatitude:real SrcGeoLongitude:real SrcGeoRegion:string
    SrcHostname:string SrcIpAddr:string SrcOriginalRiskLevel:string SrcOriginalUserType:string SrcPortNumber:int
    SrcProcessGuid:string SrcProcessId:string SrcProcessName:string SrcRiskLevel:int SrcUserId:string
    SrcUserIdType:string SrcUsername:string SrcUsernameType:string SrcUserScope:string SrcUserScopeId:string
    SrcUserSessionId:string SrcUserType:string ThreatCategory:string ThreatConfidence:int ThreatField:string
    ThreatFirstReportedTime:string ThreatFirstReportedTime_d:datetime ThreatId:string ThreatIpAddr:string
    ThreatIsActive:bool ThreatLastReportedTime:string ThreatLastReportedTime_d:datetime ThreatName:string
    ThreatOriginalConfidence:string ThreatOriginalRiskLevel:int ThreatOriginalRiskLevel_s:string ThreatRiskLevel:int
    TimeGenerated:datetime TransactionIdHex:string UrlCategory:string`),

  UrlClickEvents: columns(`${STANDARD}
    AccountUpn:string ActionType:string DetectionMethods:string IPAddress:string IsClickedThrough:bool
    NetworkMessageId:string ReportId:string ThreatTypes:string TimeGenerated:datetime Url:string UrlChain:string
    Workload:string`),

  DeviceFileEvents: columns(`${STANDARD} ${DEVICE} ${INITIATING_PROCESS}
    FileName:string FileOriginIP:string FileOriginReferrerUrl:string FileOriginUrl:string FileSize:long
    FolderPath:string IsAzureInfoProtectionApplied:bool MD5:string PreviousFileName:string
    PreviousFolderPath:string RequestAccountDomain:string RequestAccountName:string RequestAccountSid:string
    RequestProtocol:string RequestSourceIP:string RequestSourcePort:int SensitivityLabel:string
    SensitivitySubLabel:string SHA1:string SHA256:string ShareName:string`),

  DeviceProcessEvents: columns(`${STANDARD} ${DEVICE} ${INITIATING_PROCESS}
    AccountDomain:string AccountName:string AccountObjectId:string AccountSid:string AccountUpn:string
    FileName:string FileSize:long FolderPath:string InitiatingProcessLogonId:long
    InitiatingProcessSignatureStatus:string InitiatingProcessSignerType:string LogonId:long MD5:string
    ProcessCommandLine:string ProcessCreationTime:datetime ProcessId:long ProcessIntegrityLevel:string
    ProcessTokenElevation:string ProcessVersionInfoCompanyName:string ProcessVersionInfoFileDescription:string
    ProcessVersionInfoInternalFileName:string ProcessVersionInfoOriginalFileName:string
    ProcessVersionInfoProductName:string ProcessVersionInfoProductVersion:string SHA1:string SHA256:string`),
});
