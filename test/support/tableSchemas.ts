import type { HuntedTable } from '../../lib/content/tables';

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
const STANDARD =
  '_BilledSize:real _IsBillable:string _ResourceId:string _SubscriptionId:string Type:string TenantId:string SourceSystem:string';

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

/** ASIM DNS schema columns (ASimDnsActivityLogs, and what `_Im_Dns` returns). */
const ASIM_DNS = `    AdditionalFields:dynamic DnsFlags:string DnsFlagsAuthenticated:bool DnsFlagsAuthoritative:bool
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
    TimeGenerated:datetime TransactionIdHex:string UrlCategory:string`;

/**
 * What `_Im_NetworkSession` returns: the columns of Azure-Sentinel's
 * .script/tests/KqlvalidationsTests/CustomTables/ASimNetworkSessionLogs.json (the ASIM network-session schema).
 */
const ASIM_NETWORK_SESSION = `TenantId:string TimeGenerated:datetime EventCount:int EventSchemaVersion:string DvcAction:string
  EventMessage:string EventSeverity:string EventStartTime:datetime EventEndTime:datetime DvcMacAddr:string Dvc:string DvcZone:string
  EventProductVersion:string DvcOriginalAction:string DvcInterface:string DvcSubscriptionId:string EventOriginalSeverity:string
  EventOriginalSubType:string NetworkApplicationProtocol:string NetworkProtocolVersion:string NetworkDirection:string
  NetworkIcmpCode:int NetworkIcmpType:string NetworkConnectionHistory:string DstBytes:long SrcBytes:long NetworkBytes:long
  DstPackets:long SrcPackets:long NetworkPackets:long NetworkSessionId:string DstZone:string DstInterfaceName:string
  DstInterfaceGuid:string DstMacAddr:string DstVlanId:string DstSubscriptionId:string DstGeoCountry:string DstGeoRegion:string
  DstGeoCity:string DstGeoLatitude:real DstGeoLongitude:real DstUserId:string DstUserIdType:string DstUsername:string
  DstUsernameType:string DstUserType:string DstOriginalUserType:string DstAppName:string DstAppId:string DstAppType:string
  SrcZone:string SrcInterfaceName:string SrcInterfaceGuid:string SrcMacAddr:string SrcVlanId:string SrcSubscriptionId:string
  SrcGeoCountry:string SrcGeoRegion:string SrcGeoCity:string SrcGeoLatitude:real SrcGeoLongitude:real SrcAppName:string
  SrcAppId:string SrcAppType:string DstNatIpAddr:string DstNatPortNumber:int SrcNatIpAddr:string SrcNatPortNumber:int
  DvcInboundInterface:string DvcOutboundInterface:string NetworkRuleName:string NetworkRuleNumber:int ThreatId:string
  ThreatName:string ThreatCategory:string ThreatRiskLevel:int ThreatRiskLevelOriginal:string EventType:string EventSubType:string
  EventResult:string EventResultDetails:string EventOriginalType:string EventProduct:string EventVendor:string DvcIpAddr:string
  DvcHostname:string DvcDomain:string DvcDomaIntype:string DvcOs:string DvcOsVersion:string AdditionalFields:dynamic
  SrcIpAddr:string SrcPortNumber:int DstIpAddr:string NetworkProtocol:string EventOriginalUid:string EventReportUrl:string
  DvcFQDN:string DvcId:string DvcIdType:string SrcHostname:string SrcDomain:string SrcDomaIntype:string SrcFQDN:string
  SrcDvcId:string SrcDvcIdType:string SrcDeviceType:string SrcUserId:string SrcUserIdType:string SrcUsername:string
  SrcUsernameType:string SrcUserType:string SrcOriginalUserType:string DstPortNumber:int DstHostname:string DstDomain:string
  DstDomaIntype:string DstFQDN:string DstDvcId:string DstDvcIdType:string DstDeviceType:string SourceSystem:string
  ThreatOriginalRiskLevel:string ThreatIpAddr:string TcpFlagsAck:bool TcpFlagsFin:bool TcpFlagsPsh:bool TcpFlagsRst:bool
  TcpFlagsUrg:bool TcpFlagsSyn:bool ThreatField:string ThreatIsActive:string ThreatConfidence:string Type:string _ResourceId:string`;

/**
 * What `_Im_WebSession` returns: the columns of Azure-Sentinel's
 * .script/tests/KqlvalidationsTests/CustomTables/ASimWebSessionLogs.json (the ASIM web-session schema).
 */
const ASIM_WEB_SESSION = `TenantId:string TimeGenerated:datetime Dvc:string DvcIpAddr:string DvcHostname:string DvcDomain:string
  DvcDomainType:string DvcFQDN:string DvcId:string DvcIdType:string DvcMacAddr:string DvcAction:string DvcOriginalAction:string
  DvcInterface:string DvcSubscriptionId:string EventMessage:string EventCount:int EventStartTime:datetime EventEndTime:datetime
  EventType:string EventSubType:string EventResult:string EventResultDetails:string EventOriginalUid:string EventOriginalType:string
  EventOriginalSubType:string EventOriginalResultDetails:string EventSeverity:string EventOriginalSeverity:string EventProduct:string
  EventProductVersion:string EventVendor:string EventSchema:string EventSchemaVersion:string EventReportUrl:string
  AdditionalFields:dynamic DstAppName:string DstAppId:string DstAppType:string DstIpAddr:string DstPortNumber:int
  DstHostname:string DstDomain:string DstDomainType:string DstFQDN:string DstDvcId:string DstDvcIdType:string
  DstDeviceType:string DstInterfaceName:string DstInterfaceGuid:string DstMacAddr:string DstSubscriptionId:string
  DstGeoCountry:string DstGeoRegion:string DstGeoCity:string DstGeoLatitude:real DstGeoLongitude:real DstUserId:string
  DstUserIdType:string DstUsername:string DstUsernameType:string DstUserType:string DstOriginalUserType:string
  NetworkApplicationProtocol:string NetworkProtocol:string NetworkProtocolVersion:string NetworkDirection:string
  NetworkDuration:int NetworkIcmpType:string NetworkIcmpCode:int NetworkConnectionHistory:string DstBytes:real SrcBytes:real
  NetworkBytes:real DstPackets:real SrcPackets:real NetworkPackets:real NetworkSessionId:string ThreatOriginalRiskLevel:string
  ThreatIpAddr:string ThreatField:string ThreatConfidence:int ThreatOriginalConfidence:string ThreatIsActive:bool
  ThreatFirstReportedTime:datetime ThreatLastReportedTime:datetime DstNatIpAddr:string DstNatPortNumber:int SrcNatIpAddr:string
  SrcNatPortNumber:int DvcInboundInterface:string DvcOutboundInterface:string SrcAppName:string SrcAppId:string SrcAppType:string
  SrcIpAddr:string SrcPortNumber:int SrcHostname:string SrcDomain:string SrcDomainType:string SrcFQDN:string SrcDvcId:string
  SrcDvcIdType:string SrcDeviceType:string SrcInterfaceName:string SrcInterfaceGuid:string SrcMacAddr:string
  SrcSubscriptionId:string SrcGeoCountry:string SrcGeoRegion:string SrcGeoCity:string SrcGeoLatitude:real SrcGeoLongitude:real
  SrcUserId:string SrcUserIdType:string SrcUsername:string SrcUsernameType:string SrcUserType:string SrcOriginalUserType:string
  Url:string UrlCategory:string UrlOriginal:string HttpVersion:string HttpRequestMethod:string HttpContentType:string
  HttpContentFormat:string HttpReferrer:string HttpUserAgent:string HttpRequestXff:string HttpRequestTime:int
  HttpResponseTime:int FileName:string FileMD5:string FileSHA1:string FileSHA256:string FileSHA512:string FileHashType:string
  FileSize:int FileContentType:string RuleName:string RuleNumber:int Rule:string ThreatId:string ThreatName:string
  ThreatCategory:string ThreatRiskLevel:int HttpHost:string SourceSystem:string Type:string _ResourceId:string
  _SubscriptionId:string _ItemId:string`;

/**
 * The ASIM parser functions as the workspace declares them: each one's pre-filter parameters, from
 * the unifying parser YAMLs in Azure-Sentinel (Parsers/ASimDns/Parsers/imDns.yaml,
 * Parsers/ASimNetworkSession/Parsers/imNetworkSession.yaml, Parsers/ASimWebSession/Parsers/imWebSession.yaml),
 * and the schema it returns (TABLE_SCHEMAS under the same name). Tests declare them to the Kusto
 * language service, so a misspelt parameter fails the build.
 */
export const ASIM_PARSER_PARAMETERS: Readonly<Record<'_Im_Dns' | '_Im_NetworkSession' | '_Im_WebSession', string>> =
  Object.freeze({
    _Im_Dns:
      "(starttime:datetime=datetime(null), endtime:datetime=datetime(null), srcipaddr:string='*', domain_has_any:dynamic=dynamic([]), responsecodename:string='*', response_has_ipv4:string='*', response_has_any_prefix:dynamic=dynamic([]), eventtype:string='lookup', pack:bool=false)",
    _Im_NetworkSession:
      "(starttime:datetime=datetime(null), endtime:datetime=datetime(null), srcipaddr_has_any_prefix:dynamic=dynamic([]), dstipaddr_has_any_prefix:dynamic=dynamic([]), ipaddr_has_any_prefix:dynamic=dynamic([]), dstportnumber:int=int(null), hostname_has_any:dynamic=dynamic([]), dvcaction:dynamic=dynamic([]), eventresult:string='*')",
    _Im_WebSession:
      "(starttime:datetime=datetime(null), endtime:datetime=datetime(null), srcipaddr_has_any_prefix:dynamic=dynamic([]), ipaddr_has_any_prefix:dynamic=dynamic([]), url_has_any:dynamic=dynamic([]), httpuseragent_has_any:dynamic=dynamic([]), eventresultdetails_in:dynamic=dynamic([]), eventresult:string='*', eventresultdetails_has_any:dynamic=dynamic([]), disabled:bool=false)",
  });

export type AsimParser = keyof typeof ASIM_PARSER_PARAMETERS;

export function isAsimParser(table: string): table is AsimParser {
  return table in ASIM_PARSER_PARAMETERS;
}

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

  ASimDnsActivityLogs: columns(`${STANDARD} ${ASIM_DNS}`),
  _Im_Dns: columns(ASIM_DNS),
  _Im_NetworkSession: columns(ASIM_NETWORK_SESSION),
  _Im_WebSession: columns(ASIM_WEB_SESSION),

  UrlClickEvents: columns(`${STANDARD}
    AccountUpn:string ActionType:string DetectionMethods:string IPAddress:string IsClickedThrough:bool
    NetworkMessageId:string ReportId:string ThreatTypes:string TimeGenerated:datetime Url:string UrlChain:string
    Workload:string`),

  // Azure Monitor table reference (EmailUrlInfo): the Defender for Office 365 advanced-hunting table as streamed to Sentinel.
  EmailUrlInfo: columns(`${STANDARD}
    NetworkMessageId:string ReportId:string TimeGenerated:datetime Timestamp:datetime Url:string UrlDomain:string
    UrlLocation:string`),

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

/**
 * ThreatIntelIndicators as its two published schemas list it. `reference`: Microsoft's Azure
 * Monitor table reference (MicrosoftDocs/azure-reference-other, azure-monitor-ref/tables/includes/
 * threatintelindicators-include.md), with Source and Revoked. `validation`: Azure-Sentinel's KQL
 * validation schema (.script/tests/KqlvalidationsTests/CustomTables/ThreatIntelIndicators.json),
 * with NetworkIP, ThreatType and ExpirationDateTime and no Source. Every saved search must bind on both.
 */
const TI_COMMON = `TenantId:string TimeGenerated:datetime WorkspaceId:string AzureTenantId:string Id:string
    SourceSystem:string LastUpdateMethod:string IsDeleted:bool AdditionalFields:dynamic Data:dynamic IsActive:bool Revoked:bool
    ValidUntil:datetime ValidFrom:datetime Created:datetime Modified:datetime Tags:string Confidence:int Pattern:string
    ObservableKey:string ObservableValue:string Type:string _ResourceId:string`;
export const THREAT_INTEL_SCHEMAS = Object.freeze({
  reference: columns(`${TI_COMMON} Source:string _SubscriptionId:string`),
  validation: columns(`${TI_COMMON} ExpirationDateTime:datetime NetworkIP:string ThreatType:string`),
});
export type ThreatIntelSchema = keyof typeof THREAT_INTEL_SCHEMAS;

/**
 * Tables the queries read that are not hunted for IOCs: ThreatIntelIndicators (the indicators the
 * saved searches join; the `validation` schema unless a test picks the other) and the Defender
 * tables only the NetSupport behaviour hunts read (Azure Monitor table reference).
 */
export const READ_TABLE_SCHEMAS: Readonly<
  Record<'ThreatIntelIndicators' | 'DeviceRegistryEvents' | 'DeviceFileCertificateInfo' | 'EmailEvents', TableSchema>
> = Object.freeze({
  ThreatIntelIndicators: THREAT_INTEL_SCHEMAS.validation,
  DeviceRegistryEvents: columns(`${STANDARD} ${DEVICE} ${INITIATING_PROCESS}
    PreviousRegistryKey:string PreviousRegistryValueData:string PreviousRegistryValueName:string RegistryKey:string
    RegistryValueData:string RegistryValueName:string RegistryValueType:string`),
  EmailEvents:
    columns(`${STANDARD} TimeGenerated:datetime Timestamp:datetime NetworkMessageId:string InternetMessageId:string
    RecipientEmailAddress:string RecipientObjectId:string SenderFromAddress:string SenderMailFromAddress:string
    SenderDisplayName:string Subject:string DeliveryAction:string DeliveryLocation:string EmailDirection:string
    ThreatTypes:string DetectionMethods:string ReportId:long`),
  DeviceFileCertificateInfo:
    columns(`${STANDARD} TimeGenerated:datetime Timestamp:datetime DeviceId:string DeviceName:string SHA1:string IsSigned:bool
    SignatureType:string Signer:string SignerHash:string Issuer:string IssuerHash:string CertificateSerialNumber:string
    CrlDistributionPointUrls:dynamic CertificateCreationTime:datetime CertificateExpirationTime:datetime
    CertificateCountersignatureTime:datetime IsTrusted:bool IsRootSignerMicrosoft:bool ReportId:long`),
});
