/** The words of a hunting query's name and description: what its IOCs are and what a hit means. */
import { INDICATORS_PROVENANCE, PROVENANCE_TEXT, provenanceOf } from '../content/family';
import { describeIocMix } from '../ioc/mix';
import type { Ioc, IocKind, IocType } from '../ioc/types';
import { timeRangeNote, type TableHunt } from './queries/common';

const ROLE_BY_THREAT: Record<string, string> = {
  botnet_cc: 'C2',
  payload_delivery: 'payload',
  payload: 'payload',
  cc_skimming: 'skimmer',
};
const ROLE_ORDER = ['C2', 'payload', 'skimmer'];
const NOUN_ORDER: [IocType[], string][] = [
  [['ipv4', 'ipv6'], 'IPs'],
  [['domain'], 'domains'],
  [['url'], 'URLs'],
  [['sha256', 'sha1', 'md5'], 'hashes'],
];

function englishList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "C2 and payload IPs and domains": what the IOCs are, from their threat types and kinds. */
export function iocPhrase(iocs: readonly Ioc[]): string {
  const roles = new Set(iocs.map((i) => (i.threatType ? ROLE_BY_THREAT[i.threatType] : undefined)).filter(Boolean));
  const roleText = englishList(ROLE_ORDER.filter((r) => roles.has(r)));
  const nouns = englishList(
    NOUN_ORDER.filter(([types]) => iocs.some((i) => types.includes(i.type))).map(([, noun]) => noun),
  );
  return roleText ? `${roleText} ${nouns}` : `known-bad ${nouns}`;
}

const KIND_NOUNS: Record<IocKind, string> = {
  ip: 'IPs',
  domain: 'domains',
  url: 'URLs',
  sha256: 'hashes',
  sha1: 'hashes',
  md5: 'hashes',
};

function kindPhrase(kinds: readonly IocKind[]): string {
  return englishList([...new Set(kinds.map((k) => KIND_NOUNS[k]))]);
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const URL_HOST_NOTE =
  'A hit on the host of a URL IOC (a site that served the payload, not a C2 domain) says IocType "url-host" and names the URLs in IocSourceUrls.';

/** The URL-host note, for a query that labels such hits (it reads iocHostSources). */
const hostNoteFor = (query: string) => (query.includes('IocSourceUrls') ? ` ${URL_HOST_NOTE}` : '');

export function describeInline(
  hunt: TableHunt,
  familyName: string,
  iocs: readonly Ioc[],
  { lookback, query, part }: { lookback: string; query: string; part?: { index: number; of: number } },
): string {
  const count = `${iocs.length} ${familyName} IOC${iocs.length === 1 ? '' : 's'} (${describeIocMix(iocs)}) from ${PROVENANCE_TEXT[provenanceOf(iocs)].long}`;
  const partText = part ? ` Part ${part.index} of ${part.of}: run every part.` : '';
  return `Finds ${count} in ${hunt.dataDescription}. ${hunt.hitMeaning} Triage: ${capitalised(hunt.triage)}${hostNoteFor(query)} ${timeRangeNote(lookback)} Export form: the IOC list is inlined, so the query runs anywhere (also in Defender advanced hunting) but is a snapshot of this run.${partText}`;
}

export function describeThreatIntel(hunt: TableHunt, familyName: string, lookback: string, query: string): string {
  return `Finds ${familyName}'s indicators (${kindPhrase(hunt.kinds)}), ${INDICATORS_PROVENANCE}, read from ThreatIntelIndicators when the query runs, in ${hunt.dataDescription}. ${hunt.hitMeaning} Triage: ${capitalised(hunt.triage)}${hostNoteFor(query)} Expired indicators still hunt their own period: an event matches an indicator that had not expired when it happened. ${timeRangeNote(lookback)}`;
}
