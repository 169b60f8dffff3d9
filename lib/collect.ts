import type { Settings } from './config';
import { inputError } from './errors';
import { documentKind, parseInputDocument } from './input';
import { type Allowlist, EMPTY_ALLOWLIST } from './ioc/benign';
import { dedupeIocs, normaliseRecords } from './ioc/normalise';
import type { Ioc, Rejected } from './ioc/types';
import { pullFamilies } from './threatfox/pullFamilies';
import type { PullMode } from './threatfox/pullWindow';
import type { ThreatFoxSource } from './threatfox/source';
import { clippedNotes, rejectionAlarm } from './threatfox/schema';

/**
 * The flow's first step, for every adapter: collect IOCs from ThreatFox, a document or an
 * adapter's own list, normalised, with every refused record and its reason.
 */

export interface Collected {
  /** Records or lines read, before normalisation. */
  read: number;
  iocs: Ioc[];
  rejected: Rejected[];
  /** Records kept whose metadata had to be clipped or dropped to fit an IOC (one line per change). */
  clipped?: Rejected[];
  /** Set when most of a ThreatFox pull was rejected (see rejectionAlarm): the run must not look healthy. */
  alarm?: string;
  perFamily?: Record<string, number>;
  /** ThreatFox records of a saved document left out because their family was not asked for. */
  skipped?: number;
}

export interface ThreatFoxPull {
  kind: 'threatfox';
  malware: string[];
  /** `recent` = get_iocs over `days`; `full` = malwareinfo per family. */
  mode: PullMode;
  days: number;
  limit: number;
}

export interface DocumentInput {
  kind: 'document';
  text: string;
  /** Family given to pasted IOCs, which carry none (required for a pasted list). */
  family?: string;
  /** Keep only these families of a saved ThreatFox document (all when absent). */
  malware?: string[];
  /** How the adapter names the family option in an error (`--malware`, `malware`). */
  familyOption?: string;
}

/** IOCs an adapter already collected (the HTTP trigger looks at their number first). */
export interface CollectedInput {
  kind: 'collected';
  collected: Collected;
}

export type SyncInput = ThreatFoxPull | DocumentInput | CollectedInput;

/** How an adapter names its options in errors: CLI flags or HTTP body fields. */
export interface OptionNames {
  text: string;
  days: string;
  malware: string;
}

export const CLI_OPTIONS: OptionNames = { text: '--input', days: '--days', malware: '--malware' };
export const HTTP_FIELDS: OptionNames = { text: 'iocs', days: 'days', malware: 'malware' };

/**
 * What an on-demand run (CLI or HTTP) reads: a pasted or saved `text` if given, else ThreatFox,
 * the last `days` (get_iocs) when asked, otherwise the newest IOCs of each family (malwareinfo).
 * `malware` is the caller's own choice of families (undefined: THREATFOX_MALWARE). No option is
 * ignored: one that cannot apply is an error naming it (a SyncError('INPUT') with `field`).
 */
export function onDemandInput(
  request: { text?: string; days?: number; malware?: string[] },
  tf: Settings['threatfox'],
  names: OptionNames = HTTP_FIELDS,
): SyncInput {
  if (request.malware !== undefined && request.malware.length === 0) {
    throw inputError(
      `${names.malware} names no malware family: give a ThreatFox malware id such as win.netsupportmanager_rat`,
      names.malware,
    );
  }
  if (request.text !== undefined) {
    if (request.days !== undefined) {
      throw inputError(
        `${names.days} cannot be used with ${names.text}: ${names.days} picks the ThreatFox time window, and ${names.text} replaces ThreatFox`,
        names.days,
      );
    }
    if (documentKind(request.text) === 'pasted' && request.malware !== undefined && request.malware.length !== 1) {
      throw inputError(
        `a pasted list of IOCs takes exactly one family, ${names.malware} names ${request.malware.length}: ${request.malware.join(', ')}`,
        names.malware,
      );
    }
    return {
      kind: 'document',
      text: request.text,
      family: request.malware?.[0],
      malware: request.malware,
      familyOption: names.malware,
    };
  }
  const malware = request.malware ?? tf.malware;
  return request.days !== undefined
    ? { kind: 'threatfox', mode: 'recent', days: request.days, limit: tf.limit, malware }
    : { kind: 'threatfox', mode: 'full', days: tf.days, limit: tf.limit, malware };
}

/** `allow`: the tenant's benign values (settings.allowlist), refused with the built-in ones. */
export async function collect(
  input: SyncInput,
  threatfox?: ThreatFoxSource,
  allow: Allowlist = EMPTY_ALLOWLIST,
): Promise<Collected> {
  if (input.kind === 'collected') return input.collected;
  if (input.kind === 'document') {
    const parsed = parseInputDocument(input.text, {
      family: input.family,
      malware: input.malware,
      familyOption: input.familyOption,
      allow,
    });
    // parseInputDocument already deduplicated: a second pass would copy every IOC again.
    return {
      read: parsed.read,
      iocs: parsed.iocs,
      rejected: parsed.rejected,
      skipped: parsed.skipped,
      clipped: parsed.clipped,
    };
  }
  if (!threatfox) throw new Error('collect: a ThreatFox source is needed to pull from the API');
  const pulled = await pullFamilies(threatfox, input);
  const normalised = normaliseRecords(pulled.records, allow);
  const read = pulled.records.length + pulled.rejected.length;
  const rejected = [...pulled.rejected, ...normalised.rejected];
  return {
    read,
    iocs: dedupeIocs(normalised.iocs),
    rejected,
    clipped: clippedNotes(pulled.records),
    alarm: rejectionAlarm(read, rejected),
    perFamily: pulled.perFamily,
  };
}
