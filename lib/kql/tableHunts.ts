import { asimDnsActivityLogsHunt } from './queries/asimDnsActivityLogs';
import { imDnsHunt, imNetworkSessionHunt, imWebSessionHunt } from './queries/asimParsers';
import type { TableHunt } from './queries/common';
import { commonSecurityLogHunt } from './queries/commonSecurityLog';
import { deviceFileEventsHunt } from './queries/deviceFileEvents';
import { deviceNetworkEventsHunt } from './queries/deviceNetworkEvents';
import { deviceProcessEventsHunt } from './queries/deviceProcessEvents';
import { dnsEventsHunt } from './queries/dnsEvents';
import { emailUrlInfoHunt } from './queries/emailUrlInfo';
import { urlClickEventsHunt } from './queries/urlClickEvents';

/** The hunts, in the order queries are emitted for a family. */
export const TABLE_HUNTS: readonly TableHunt[] = [
  commonSecurityLogHunt,
  deviceNetworkEventsHunt,
  dnsEventsHunt,
  asimDnsActivityLogsHunt,
  imDnsHunt,
  imNetworkSessionHunt,
  imWebSessionHunt,
  urlClickEventsHunt,
  emailUrlInfoHunt,
  deviceFileEventsHunt,
  deviceProcessEventsHunt,
];

export function tableHunt(table: string): TableHunt | undefined {
  return TABLE_HUNTS.find((h) => h.table === table);
}
