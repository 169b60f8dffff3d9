/**
 * The tables and ASIM parsers the hunting queries read. Their column schemas, which tests check
 * every generated query against, are in test/support/tableSchemas.ts.
 */

export const HUNTED_TABLES = [
  'CommonSecurityLog',
  'DeviceNetworkEvents',
  'DnsEvents',
  'ASimDnsActivityLogs',
  '_Im_Dns',
  '_Im_NetworkSession',
  '_Im_WebSession',
  'UrlClickEvents',
  'EmailUrlInfo',
  'DeviceFileEvents',
  'DeviceProcessEvents',
] as const;
export type HuntedTable = (typeof HUNTED_TABLES)[number];
