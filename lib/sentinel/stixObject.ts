import { createHash } from 'node:crypto';
import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';

/**
 * Our indicator body (the ARM model the writer plans) as a STIX 2.1 indicator object for the
 * STIX objects upload API. The object's id is derived from our source and the pattern, so
 * sending it again (a retried batch, the next run) updates the same object instead of adding one.
 */

export interface StixIndicator {
  type: 'indicator';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name?: string;
  description?: string;
  indicator_types?: string[];
  pattern: string;
  pattern_type: 'stix';
  valid_from: string;
  valid_until?: string;
  confidence?: number;
  labels?: string[];
  revoked?: boolean;
  kill_chain_phases?: { kill_chain_name: string; phase_name: string }[];
  external_references?: { source_name: string; external_id?: string; url?: string; description?: string }[];
}

/** Our namespace for name-based (v5) UUIDs: fixed, so every run and every deployment derives the same ids. */
export const STIX_ID_NAMESPACE = '6f0e1c1e-6c49-5b8e-9d6a-3f6d2b0a7c11';

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1). */
export function uuidV5(name: string, namespace: string = STIX_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`uuidV5: namespace must be a UUID (got "${namespace}")`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The STIX id of our indicator for a pattern: the same source and pattern always give the same id. */
export function stixIndicatorId(source: string, pattern: string): string {
  return `indicator--${uuidV5(`${source}\n${pattern}`)}`;
}

export const isStixIndicatorId = (id: unknown): id is string =>
  typeof id === 'string' && /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** STIX timestamps are RFC 3339 in UTC; the service's own seven-digit spelling is re-read as an instant. */
function stixTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RangeError(`not a date: "${value}"`);
  return new Date(t).toISOString();
}

/**
 * The STIX object for one indicator body. `created` is when the object first existed (kept from
 * the indicator being replaced), `modified` must grow with every version, or the service keeps the
 * version it has.
 */
export function toStixIndicator(
  body: ThreatIntelligenceIndicatorModel,
  identity: { id: string; created: string; modified: string },
): StixIndicator {
  if (!body.pattern || !body.validFrom) throw new RangeError('an indicator needs a pattern and validFrom');
  const o: StixIndicator = {
    type: 'indicator',
    spec_version: '2.1',
    id: identity.id,
    created: stixTime(identity.created)!,
    modified: stixTime(identity.modified)!,
    pattern: body.pattern,
    pattern_type: 'stix',
    valid_from: stixTime(body.validFrom)!,
  };
  if (body.displayName) o.name = body.displayName;
  if (body.description) o.description = body.description;
  if (body.threatTypes?.length) o.indicator_types = [...body.threatTypes];
  if (body.validUntil) o.valid_until = stixTime(body.validUntil);
  if (body.confidence !== undefined) o.confidence = body.confidence;
  if (body.labels?.length) o.labels = [...body.labels];
  if (body.revoked !== undefined) o.revoked = body.revoked;
  if (body.killChainPhases?.length) {
    o.kill_chain_phases = body.killChainPhases.map((k) => ({
      kill_chain_name: k.killChainName ?? '',
      phase_name: k.phaseName ?? '',
    }));
  }
  if (body.externalReferences?.length) {
    o.external_references = body.externalReferences.map((r) => ({
      source_name: r.sourceName ?? '',
      ...(r.externalId ? { external_id: r.externalId } : {}),
      ...(r.url ? { url: r.url } : {}),
      ...(r.description ? { description: r.description } : {}),
    }));
  }
  return o;
}
