import { NETSUPPORT_FAMILY } from './family';

/**
 * The one ATT&CK mapping: ThreatFox threat types and malware families → Sentinel tactics and
 * techniques. Tactic names are spelt as Sentinel writes them (the `tactics` tag of a hunting query
 * and `tactics:` in Azure-Sentinel YAML); every technique sits under one of the tactics listed
 * with it, so the pair stays consistent in the portal.
 */

/** Sentinel's tactic names, in kill-chain order (the order we emit them in). */
export const SENTINEL_TACTICS = [
  'Reconnaissance',
  'ResourceDevelopment',
  'InitialAccess',
  'Execution',
  'Persistence',
  'PrivilegeEscalation',
  'DefenseEvasion',
  'CredentialAccess',
  'Discovery',
  'LateralMovement',
  'Collection',
  'CommandAndControl',
  'Exfiltration',
  'Impact',
] as const;
export type SentinelTactic = (typeof SENTINEL_TACTICS)[number];

export interface AttackMapping {
  tactics: SentinelTactic[];
  techniques: string[];
}

/**
 * ThreatFox `threat_type` values (see its API docs: `types`). Parent technique ids only: the
 * saved-search `techniques` tag and older Sentinel views do not take sub-techniques.
 */
const BY_THREAT_TYPE: Readonly<Record<string, AttackMapping>> = {
  // C2 server: T1071 Application Layer Protocol.
  botnet_cc: { tactics: ['CommandAndControl'], techniques: ['T1071'] },
  // Where a payload is fetched from: T1105 Ingress Tool Transfer. How the victim got there (drive-by,
  // phishing link, loader) differs by family, so Initial Access is only claimed per family below.
  payload_delivery: { tactics: ['CommandAndControl'], techniques: ['T1105'] },
  // A malware sample (hash IOCs): T1204 User Execution (of the malicious file).
  payload: { tactics: ['Execution'], techniques: ['T1204'] },
  // Web skimmer infrastructure: T1056 Input Capture, T1041 Exfiltration Over C2 Channel.
  cc_skimming: { tactics: ['Collection', 'Exfiltration'], techniques: ['T1056', 'T1041'] },
};

interface FamilyMapping {
  /** Applies to every IOC of the family. */
  always: AttackMapping;
  /** Added for IOCs of these threat types. */
  byThreatType?: Readonly<Record<string, AttackMapping>>;
}

/** Family-specific techniques, by ThreatFox malware id. */
const BY_FAMILY: Readonly<Record<string, FamilyMapping>> = {
  [NETSUPPORT_FAMILY]: {
    // The genuine NetSupport Manager client abused as a RAT: T1219 Remote Access Tools (named
    // "Remote Access Software" before ATT&CK v17; the abuse is T1219.002 Remote Desktop Software).
    always: { tactics: ['CommandAndControl'], techniques: ['T1219'] },
    // Its delivery sites are compromised pages serving fake browser updates (SocGholish,
    // ClearFake, SmartApeSG): T1189 Drive-by Compromise.
    byThreatType: { payload_delivery: { tactics: ['InitialAccess'], techniques: ['T1189'] } },
  },
};

/** With no known threat type: a file hash is a sample that ran or landed, anything else is contact with C2. */
const FALLBACK_NETWORK: AttackMapping = { tactics: ['CommandAndControl'], techniques: ['T1071'] };
const FALLBACK_FILE: AttackMapping = { tactics: ['Execution'], techniques: ['T1204'] };
const FILE_TYPES: ReadonlySet<string> = new Set(['sha256', 'sha1', 'md5']);

function techniqueOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Tactics and techniques for a family's IOCs of the given threat types; sorted, no duplicates.
 * `iocTypes` (optional) picks the fallback when no threat type is known: hash IOCs map to
 * Execution, network IOCs to command and control.
 */
export function attackMapping(
  familyId: string,
  threatTypes: Iterable<string | undefined>,
  iocTypes: Iterable<string> = [],
): AttackMapping {
  const tactics = new Set<SentinelTactic>();
  const techniques = new Set<string>();
  const add = (m: AttackMapping | undefined) => {
    m?.tactics.forEach((t) => tactics.add(t));
    m?.techniques.forEach((t) => techniques.add(t));
  };
  // Own keys only: a threat type or family from the feed named `constructor` must find nothing.
  const own = <T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
    map && Object.hasOwn(map, key) ? map[key] : undefined;
  const family = own(BY_FAMILY, familyId.toLowerCase());
  for (const type of threatTypes) {
    const key = type?.toLowerCase();
    if (!key) continue;
    add(own(BY_THREAT_TYPE, key));
    add(own(family?.byThreatType, key));
  }
  if (tactics.size === 0) {
    const types = [...iocTypes];
    const filesOnly = types.length > 0 && types.every((t) => FILE_TYPES.has(t));
    add(filesOnly ? FALLBACK_FILE : FALLBACK_NETWORK);
  }
  add(family?.always);
  return {
    tactics: SENTINEL_TACTICS.filter((t) => tactics.has(t)),
    techniques: [...techniques].sort(techniqueOrder),
  };
}
