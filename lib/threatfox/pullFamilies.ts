import { configError } from '../errors';
import type { Rejected } from '../ioc/types';
import type { PullMode } from './pullWindow';
import type { ThreatFoxRecord } from './schema';
import type { FetchResult, ThreatFoxSource } from './source';

/** Which ThreatFox queries a pull makes for the configured families, and what it keeps of the answers. */

export interface PullOptions {
  malware: string[];
  mode: PullMode;
  days: number;
  limit: number;
}

/**
 * Pulls the configured families: mode 'recent' = one get_iocs call filtered to the families;
 * 'full' = malwareinfo per family. perFamily counts records kept per family.
 */
export async function pullFamilies(
  source: ThreatFoxSource,
  options: PullOptions,
): Promise<FetchResult & { perFamily: Record<string, number> }> {
  const families = [...new Set(options.malware.map((m) => m.trim().toLowerCase()).filter(Boolean))];
  if (families.length === 0)
    throw configError(
      'THREATFOX_MALWARE names no malware family: set it to ids such as win.netsupportmanager_rat',
      'THREATFOX_MALWARE',
    );
  const perFamily: Record<string, number> = Object.fromEntries(families.map((f) => [f, 0]));
  const records: ThreatFoxRecord[] = [];
  const rejected: Rejected[] = [];

  if (options.mode === 'recent') {
    const got = await source.recent(options.days, families);
    for (const r of got.records) {
      const family = r.malware.toLowerCase();
      if (Object.hasOwn(perFamily, family)) {
        // not `in`: a record of family "constructor" is not one we asked for
        perFamily[family] = (perFamily[family] ?? 0) + 1;
        records.push(r);
      }
    }
    rejected.push(...got.rejected);
    return { records, rejected, perFamily };
  }

  // One family at a time: ThreatFox rate-limits per key, and the answers are small.
  const seen = new Set<string>();
  for (const family of families) {
    const got = await source.byMalware(family, options.limit);
    for (const r of got.records) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      perFamily[family] = (perFamily[family] ?? 0) + 1;
      records.push(r);
    }
    rejected.push(...got.rejected);
  }
  return { records, rejected, perFamily };
}
