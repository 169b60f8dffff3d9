import type { BenignKind } from './benign';

/** The IOC kinds we can express as a Sentinel indicator and hunt for. */
export const IOC_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256'] as const;
export type IocType = (typeof IOC_TYPES)[number];

/** What an IOC is counted and hunted as: IPv4 and IPv6 are both an IP (a query matches either form). */
export const IOC_KINDS = ['ip', 'domain', 'url', 'sha256', 'sha1', 'md5'] as const;
export type IocKind = (typeof IOC_KINDS)[number];

export const iocKindOf = (type: IocType): IocKind => (type === 'ipv4' || type === 'ipv6' ? 'ip' : type);

/** A refanged, normalised, validated indicator of compromise with the ThreatFox context we keep. */
export interface Ioc {
  type: IocType;
  /** Canonical value: lower-case domain (punycode), lower-case hex hash, compressed IP, normalised URL. */
  value: string;
  /** Port of a ThreatFox `ip:port` IOC. */
  port?: number;
  /**
   * A URL's host when it is hunted on its own too (a domain, or an IP for a URL on a bare address);
   * absent for other types and for a URL on a well-known host or one on the tenant's
   * BENIGN_ALLOWLIST, which is hunted as a URL alone. Decided once, when the IOC is normalised
   * (`withHuntedHost`, lib/ioc/urlHost.ts), so the hunts and indicators never need the allow-list.
   * Queue messages carry it; a message the previous version wrote has none, and the queue job
   * decides then. The tenant's decision, not the feed's: left out of iocs.json, of the HTTP dry
   * run's `iocs` and of the run-state fingerprint (`iocFingerprint`).
   */
  huntedHost?: string;
  threatfoxId?: string;
  /** ThreatFox malware id, e.g. `win.netsupportmanager_rat`. */
  malware?: string;
  /** Human name of the family, e.g. `NetSupportManager RAT`. */
  malwarePrintable?: string;
  /** ThreatFox threat type, e.g. `botnet_cc`, `payload_delivery`. */
  threatType?: string;
  threatTypeDesc?: string;
  /** 0-100. */
  confidence?: number;
  /** ISO 8601 UTC. */
  firstSeen?: string;
  /** ISO 8601 UTC. */
  lastSeen?: string;
  reference?: string;
  tags?: string[];
  reporter?: string;
  /** `manual`: submitted by hand (a pasted list), not published by ThreatFox; absent for ThreatFox IOCs. */
  origin?: 'manual';
}

/** An input we could not turn into an IOC, kept with the reason so nothing is lost silently. */
export interface Rejected {
  input: string;
  reason: string;
  /** Set when the value was well formed but is well-known benign infrastructure (lib/ioc/benign.ts). */
  benign?: BenignKind;
}

export interface NormaliseResult {
  iocs: Ioc[];
  rejected: Rejected[];
}

/**
 * What normalising reads from a feed record: the ThreatFox API's field names, validated and
 * bounded by the feed's schema (lib/threatfox/schema.ts) before they get here.
 */
export interface FeedRecord {
  /** The record's id as the feed spells it (named in a rejection). */
  id: string;
  ioc: string;
  ioc_type: string;
  /** The id an IOC keeps; absent when it was too long to keep. */
  threatfoxId?: string;
  malware: string;
  malware_printable?: string;
  threat_type: string;
  threat_type_desc?: string;
  confidence_level: number;
  first_seen: string;
  last_seen?: string;
  reference?: string;
  tags: readonly string[];
  reporter?: string;
}
