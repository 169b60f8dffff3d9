import type {
  ThreatIntelligenceExternalReference,
  ThreatIntelligenceIndicatorModel,
  ThreatIntelligenceKillChainPhase,
} from '@azure/arm-securityinsight';
import { createHash } from 'node:crypto';
import { familyDisplayName } from '../content/family';
import type { IocType } from '../ioc/types';
import { clip, wellFormed } from '../text/clip';
import {
  epochMs,
  LABEL,
  presentValues,
  SUBMITTED_BY_HAND_LABEL,
  THREATFOX,
  type IndicatorFacts,
} from './indicatorFacts';
import { stixPattern, stixPatternType } from './stix';

/**
 * Facts → Sentinel threat-intelligence indicator body, and when two bodies say the same: the
 * fields we own, compared so that the service's re-spelling is no change.
 */

const THREATFOX_IOC_PAGE = (id: string) => `https://threatfox.abuse.ch/ioc/${encodeURIComponent(id)}/`;

/**
 * What each ThreatFox threat type means: for people (the display name), and as the Lockheed Martin
 * kill chain phase. A C2 server is command and control, a download URL is delivery, a payload hash
 * is what gets installed, a skimmer acts on objectives.
 */
const THREAT_TYPES: Readonly<Record<string, { text: string; killChainPhase: string }>> = {
  botnet_cc: { text: 'C2', killChainPhase: 'command-and-control' },
  payload_delivery: { text: 'payload delivery', killChainPhase: 'delivery' },
  payload: { text: 'payload', killChainPhase: 'installation' },
  cc_skimming: { text: 'card skimming', killChainPhase: 'actions-on-objectives' },
};
const KILL_CHAIN_NAME = 'lockheed-martin-cyber-kill-chain';

/**
 * STIX 2.1 indicator-type-ov for Sentinel's `threatTypes`. Everything ThreatFox publishes is
 * attacker infrastructure or malware, which is `malicious-activity`; `compromised` would claim
 * a legitimate asset was taken over, which ThreatFox does not say.
 */
const STIX_INDICATOR_TYPE = 'malicious-activity';

const TYPE_TEXT: Record<IocType, string> = {
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  domain: 'Domain',
  url: 'URL',
  md5: 'MD5 file hash',
  sha1: 'SHA-1 file hash',
  sha256: 'SHA-256 file hash',
};

/** A lookup by a feed value: own keys only, so a threat type named `constructor` finds nothing. */
const ownValue = <T>(map: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(map, key) ? map[key] : undefined;

const DISPLAY_NAME_MAX = 256;
const DESCRIPTION_MAX = 4000;

/** Shortened with `…`, never between the halves of a surrogate pair, and without lone surrogates. */
function truncate(text: string, max: number): string {
  return clip(wellFormed(text), max);
}

function valueWithPorts(f: IndicatorFacts): string {
  if (f.ports.length === 0) return f.value;
  const host = f.type === 'ipv6' ? `[${f.value}]` : f.value;
  if (f.ports.length === 1) return `${host}:${f.ports[0]}`;
  return `${f.value} (ports ${f.ports.join(', ')})`;
}

function familyText(f: IndicatorFacts): string {
  if (f.families.length > 0) return f.families.join(' / ');
  if (f.malware.length > 0) return f.malware.map((id) => familyDisplayName(id)).join(' / '); // a pasted list: the id only
  return 'Unknown malware';
}

/** `NetSupportManager RAT C2: 91.92.34.228:80`: family, threat type and value at a glance. */
function displayName(f: IndicatorFacts): string {
  const threat = f.threatTypes.map((t) => ownValue(THREAT_TYPES, t)?.text ?? t.replace(/_/g, ' ')).join(' / ');
  const head = threat ? `${familyText(f)} ${threat}` : `${familyText(f)} ${TYPE_TEXT[f.type]}`;
  return truncate(`${head}: ${valueWithPorts(f)}`, DISPLAY_NAME_MAX);
}

function description(f: IndicatorFacts): string {
  const families = f.families.length > 0 || f.malware.length > 0 ? familyText(f) : 'malware';
  const ids = f.malware.length > 0 ? ` (${f.malware.join(', ')})` : '';
  const parts = [`${TYPE_TEXT[f.type]} associated with ${families}${ids}, ${provenance(f)}.`];
  if (f.threatTypeDescs.length > 0) parts.push(`${f.threatTypeDescs.join('; ')}.`);
  else if (f.threatTypes.length > 0) parts.push(`Threat type: ${f.threatTypes.join(', ')}.`);
  if (f.ports.length > 0) parts.push(`Seen on port${f.ports.length > 1 ? 's' : ''} ${f.ports.join(', ')}.`);
  if (f.reporters.length > 0) parts.push(`Reported by ${f.reporters.join(', ')}.`);
  if (f.threatfoxIds.length > 0) parts.push(`ThreatFox IOC ${f.threatfoxIds.map((id) => `#${id}`).join(', ')}.`);
  return truncate(parts.join(' '), DESCRIPTION_MAX);
}

/** Who vouches for the observable: ThreatFox (it has ThreatFox ids), an operator who pasted it, or both. */
function provenance(f: IndicatorFacts): string {
  const byThreatFox = f.threatfoxIds.length > 0 || !f.submittedByHand;
  if (f.submittedByHand && byThreatFox) return 'published by ThreatFox (abuse.ch) and submitted by hand';
  return f.submittedByHand
    ? 'submitted by hand (a pasted IOC list, not published by ThreatFox)'
    : 'published by ThreatFox (abuse.ch)';
}

function labels(f: IndicatorFacts): string[] {
  return [
    ...(f.submittedByHand ? [SUBMITTED_BY_HAND_LABEL] : []),
    ...f.families.map((v) => LABEL.family + v),
    ...f.malware.map((v) => LABEL.malware + v),
    ...f.threatTypes.map((v) => LABEL.threatType + v),
    ...f.tags,
    ...f.ports.map((p) => LABEL.port + p),
    // The ThreatIntelIndicators form of the saved searches reads this label (it cannot call huntedUrlHost).
    ...(f.huntHost ? [LABEL.huntHost + f.huntHost] : []),
  ];
}

function externalReferences(f: IndicatorFacts): ThreatIntelligenceExternalReference[] {
  return [
    ...f.threatfoxIds.map((id) => ({ sourceName: THREATFOX, externalId: id, url: THREATFOX_IOC_PAGE(id) })),
    ...f.references.map((url) => ({ sourceName: 'Reference', url })),
  ];
}

function killChainPhases(f: IndicatorFacts): ThreatIntelligenceKillChainPhase[] {
  return presentValues(f.threatTypes.map((t) => ownValue(THREAT_TYPES, t)?.killChainPhase)).map((phaseName) => ({
    killChainName: KILL_CHAIN_NAME,
    phaseName,
  }));
}

/** The indicator body for a set of facts: every field we own, nothing the service assigns. */
export function renderIndicator(f: IndicatorFacts, source: string): ThreatIntelligenceIndicatorModel {
  const body: ThreatIntelligenceIndicatorModel = {
    kind: 'indicator',
    source,
    displayName: displayName(f),
    description: description(f),
    pattern: stixPattern(f),
    patternType: stixPatternType(f.type),
    threatTypes: [STIX_INDICATOR_TYPE],
    labels: labels(f),
    validFrom: f.validFrom,
    validUntil: f.validUntil,
    externalReferences: externalReferences(f),
    killChainPhases: killChainPhases(f),
    revoked: false,
  };
  if (f.confidence !== undefined) body.confidence = f.confidence;
  // Last, over everything else we wrote: a later change by someone else shows as a hash that no longer fits.
  if (f.confirmedOn) body.labels?.push(`${LABEL.confirmed}${f.confirmedOn}:${contentHash(body)}`);
  return body;
}

/**
 * A fingerprint of the fields we write, the `threatfox-confirmed:` label and the description left
 * out (the description holds reporters and threat-type texts an indicator's labels do not keep, so
 * it cannot be rendered again from what the indicator says).
 */
export function contentHash(m: ThreatIntelligenceIndicatorModel): string {
  const labels = (m.labels ?? []).filter((l) => !l.startsWith(LABEL.confirmed));
  const fields = JSON.stringify(ownedFields({ ...m, labels, description: '' }));
  return createHash('sha256').update(fields).digest('hex').slice(0, 12);
}

/** The fields we own, normalised so that the service's re-spelling of a date or re-ordering of a list is no change. */
function ownedFields(m: ThreatIntelligenceIndicatorModel): unknown {
  const list = (v?: string[]) => [...(v ?? [])].sort();
  return {
    source: m.source ?? '',
    displayName: m.displayName ?? '',
    description: m.description ?? '',
    pattern: m.pattern ?? '',
    patternType: (m.patternType ?? '').toLowerCase(),
    threatTypes: list(m.threatTypes),
    labels: list(m.labels),
    confidence: m.confidence ?? null,
    validFrom: epochMs(m.validFrom) ?? null,
    validUntil: epochMs(m.validUntil) ?? null,
    revoked: m.revoked ?? false,
    externalReferences: (m.externalReferences ?? [])
      .map((r) => [r.sourceName ?? '', r.externalId ?? '', r.url ?? ''].join('\u0000'))
      .sort(),
    killChainPhases: (m.killChainPhases ?? []).map((k) => `${k.killChainName ?? ''}\u0000${k.phaseName ?? ''}`).sort(),
  };
}

export function sameIndicator(a: ThreatIntelligenceIndicatorModel, b: ThreatIntelligenceIndicatorModel): boolean {
  return JSON.stringify(ownedFields(a)) === JSON.stringify(ownedFields(b));
}
