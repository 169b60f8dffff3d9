import type { Ioc } from '../ioc/types';

/** ThreatFox's id of NetSupport Manager RAT, the family with its own MITRE mapping, guidance and behaviour hunts. */
export const NETSUPPORT_FAMILY = 'win.netsupportmanager_rat';

/** Family key for IOCs ThreatFox did not attribute (or that came from a pasted list). */
export const UNATTRIBUTED_FAMILY = 'unattributed';

/** Names we know better than a mechanical derivation (ThreatFox's own malware_printable wins otherwise). */
const KNOWN_FAMILIES: Readonly<Record<string, string>> = {
  [NETSUPPORT_FAMILY]: 'NetSupportManager RAT',
  [UNATTRIBUTED_FAMILY]: 'Unattributed',
};

/** The family an IOC is grouped under: its ThreatFox malware id, lower-cased. */
export function familyOf(ioc: Pick<Ioc, 'malware'>): string {
  const id = ioc.malware?.trim().toLowerCase();
  return id ? id : UNATTRIBUTED_FAMILY;
}

/**
 * Display name for a family id: our table, then ThreatFox's `malware_printable`, then the id made
 * readable (`win.cobalt_strike` → `Cobalt Strike`).
 */
export function familyDisplayName(familyId: string, malwarePrintable?: string): string {
  // Own keys only: a feed's family id may be `constructor`.
  const known = Object.hasOwn(KNOWN_FAMILIES, familyId.toLowerCase())
    ? KNOWN_FAMILIES[familyId.toLowerCase()]
    : undefined;
  if (known) return known;
  const printable = malwarePrintable?.replace(/\s+/g, ' ').trim();
  if (printable) return printable;
  const bare = familyId
    .replace(/^[a-z0-9]+\./i, '')
    .replace(/[._-]+/g, ' ')
    .trim();
  if (!bare) return familyId;
  return bare.replace(/\b([a-z])/g, (c) => c.toUpperCase());
}

/** The display name for a group of IOCs of one family, taking the most common malware_printable. */
export function familyNameFor(familyId: string, iocs: readonly Pick<Ioc, 'malwarePrintable'>[]): string {
  const counts = new Map<string, number>();
  for (const ioc of iocs) {
    const name = ioc.malwarePrintable?.trim();
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  // Most frequent, then alphabetical, so the name does not depend on IOC order.
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
  return familyDisplayName(familyId, best?.[0]);
}

/** Where a set of IOCs came from: ThreatFox, a list submitted by hand, or both. */
export type Provenance = 'threatfox' | 'manual' | 'both';

export function provenanceOf(iocs: readonly Pick<Ioc, 'origin'>[]): Provenance {
  const manual = iocs.filter((i) => i.origin === 'manual').length;
  return manual === 0 ? 'threatfox' : manual === iocs.length ? 'manual' : 'both';
}

/** The provenance as the hunting queries say it, in the words report.md and indicators.json use. */
export const PROVENANCE_TEXT: Readonly<Record<Provenance, { long: string; short: string }>> = {
  threatfox: { long: 'abuse.ch ThreatFox', short: 'ThreatFox' },
  manual: { long: 'a list submitted by hand (not published by ThreatFox)', short: 'submitted by hand' },
  both: { long: 'abuse.ch ThreatFox and a list submitted by hand', short: 'ThreatFox and submitted by hand' },
};

/** What the ThreatIntelIndicators form reads: whatever the app wrote for the family, from either source. */
export const INDICATORS_PROVENANCE =
  'the indicators this app wrote (published by abuse.ch ThreatFox or submitted by hand)';
