import type { Rejected } from '../ioc/types';
import type { ThreatFoxRecord } from './schema';

/** What the sync reads from ThreatFox: the two queries it pulls with, whatever client answers them. */

export interface FetchResult {
  records: ThreatFoxRecord[];
  rejected: Rejected[];
}

export interface ThreatFoxSource {
  /** malwareinfo: {query:'malwareinfo', malware, limit} (limit up to 1000; the API default is only 100) */
  byMalware(malware: string, limit: number): Promise<FetchResult>;
  /**
   * get_iocs: {query:'get_iocs', days} (1-7, filtered on first seen).
   * `malware`, when given, lets the source drop other families before validating them, so a broken
   * record of a family nobody asked for is not reported as rejected. Callers still filter.
   */
  recent(days: number, malware?: readonly string[]): Promise<FetchResult>;
}
