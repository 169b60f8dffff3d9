import { errorLine, isSettingError, isSyncError } from '../errors';
import type { ThreatFoxSource } from '../threatfox/source';
import { KEY_FIX } from './checkFixes';
import { line, notReached, type CheckLine, type CheckRun } from './checkReport';

/** One malwareinfo (limit 1) per configured family: the first also proves the API is reachable and the key accepted. */
export async function checkThreatFox(run: CheckRun): Promise<CheckLine[]> {
  const tf = run.services.settings.threatfox;
  if (!tf.authKey)
    return [
      line('threatfox', false, 'THREATFOX_AUTH_KEY is not set', KEY_FIX),
      ...notReached(['families'], 'no Auth-Key'),
    ];
  let source: ThreatFoxSource;
  try {
    // One retry only: a check answers quickly, and says so when ThreatFox is slow.
    source = run.services.threatfox(undefined, { maxRetries: 1 });
  } catch (e) {
    return [line('threatfox', false, errorLine(e), KEY_FIX), ...notReached(['families'], 'no usable Auth-Key')];
  }
  const host = hostOf(tf.apiUrl);
  const probe = await probeFamilies(source, tf.malware);
  if (probe.unreachable) {
    const e = probe.unreachable;
    const fix =
      isSyncError(e) && e.code === 'CONFIG'
        ? KEY_FIX
        : `allow outbound HTTPS to ${host} (README: Outbound hosts) and check THREATFOX_API_URL; if ThreatFox is down, try again later`;
    return [line('threatfox', false, errorLine(e), fix), ...notReached(['families'], 'ThreatFox did not answer')];
  }
  return [line('threatfox', true, `${host} answered; Auth-Key accepted`), familiesLine(probe)];
}

interface FamilyProbe {
  known: string[];
  /** Known, with no IOCs at the moment. */
  empty: string[];
  unknown: string[];
  /** Families whose query failed after the first answered, with the reason. */
  failed: string[];
  /** The first query's error when ThreatFox did not answer it (unreachable, or the key refused). */
  unreachable?: unknown;
}

async function probeFamilies(source: ThreatFoxSource, families: string[]): Promise<FamilyProbe> {
  const probe: FamilyProbe = { known: [], empty: [], unknown: [], failed: [] };
  for (const [i, family] of families.entries()) {
    try {
      const got = await source.byMalware(family, 1);
      (got.records.length > 0 || got.rejected.length > 0 ? probe.known : probe.empty).push(family);
    } catch (e) {
      // ThreatFox answered the query (so the key was accepted) but does not know the family.
      if (isSettingError(e, 'THREATFOX_MALWARE')) probe.unknown.push(family);
      else if (i === 0) return { ...probe, unreachable: e };
      else probe.failed.push(`${family} (${errorLine(e)})`);
    }
  }
  return probe;
}

function familiesLine({ known, empty, unknown, failed }: FamilyProbe): CheckLine {
  const knownText = [...known, ...empty.map((f) => `${f} (no IOCs at the moment)`)].join(', ');
  if (unknown.length === 0 && failed.length === 0) return line('families', true, `known to ThreatFox: ${knownText}`);
  if (unknown.length > 0)
    return line(
      'families',
      false,
      `not known to ThreatFox: ${unknown.join(', ')}${knownText ? `; known: ${knownText}` : ''}`,
      'THREATFOX_MALWARE takes ThreatFox malware ids such as win.netsupportmanager_rat (list: https://threatfox.abuse.ch/browse/); ThreatFox names the id it knows an alias by',
    );
  return line(
    'families',
    false,
    `not confirmed: ${failed.join('; ')}`,
    'ThreatFox stopped answering part-way: try again later',
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
