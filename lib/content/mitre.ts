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

/** ThreatFox `threat_type` values (see its API docs: `types`). */
const BY_THREAT_TYPE: Readonly<Record<string, AttackMapping>> = {
  // C2 server: T1071 Application Layer Protocol.
  botnet_cc: { tactics: ['CommandAndControl'], techniques: ['T1071'] },
  // Where the malware is fetched from: T1105 Ingress Tool Transfer; NetSupport and most loaders
  // arrive via compromised sites and fake updates (T1189 Drive-by Compromise).
  payload_delivery: { tactics: ['InitialAccess', 'CommandAndControl'], techniques: ['T1105', 'T1189'] },
  // A malware sample (hash IOCs): T1204 User Execution (of the malicious file).
  payload: { tactics: ['Execution'], techniques: ['T1204'] },
  // Web skimmer infrastructure: T1056 Input Capture, T1041 Exfiltration Over C2 Channel.
  cc_skimming: { tactics: ['Collection', 'Exfiltration'], techniques: ['T1056', 'T1041'] },
};

/** Family-specific techniques, by ThreatFox malware id. */
const BY_FAMILY: Readonly<Record<string, AttackMapping>> = {
  // A legitimate remote administration tool repurposed as a RAT: T1219 Remote Access Software.
  'win.netsupportmanager_rat': { tactics: ['CommandAndControl'], techniques: ['T1219'] },
};

/** Contact with known-bad infrastructure of unknown purpose is hunted as command and control. */
const FALLBACK: AttackMapping = { tactics: ['CommandAndControl'], techniques: ['T1071'] };

function techniqueOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Tactics and techniques for a family's IOCs of the given threat types; sorted, no duplicates. */
export function attackMapping(familyId: string, threatTypes: Iterable<string | undefined>): AttackMapping {
  const tactics = new Set<SentinelTactic>();
  const techniques = new Set<string>();
  const add = (m: AttackMapping) => {
    m.tactics.forEach((t) => tactics.add(t));
    m.techniques.forEach((t) => techniques.add(t));
  };
  for (const type of threatTypes) {
    const mapping = type ? BY_THREAT_TYPE[type.toLowerCase()] : undefined;
    if (mapping) add(mapping);
  }
  if (tactics.size === 0) add(FALLBACK);
  const family = BY_FAMILY[familyId.toLowerCase()];
  if (family) add(family);
  return {
    tactics: SENTINEL_TACTICS.filter((t) => tactics.has(t)),
    techniques: [...techniques].sort(techniqueOrder),
  };
}

/** STIX kill-chain phase names (MITRE's `mitre-attack` chain) for the same tactics. */
export function killChainPhaseName(tactic: SentinelTactic): string {
  return tactic.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}
