import { createHash } from 'crypto';
import type { HuntingQuery } from '../kql/huntingQuery';
import { GENERATOR } from '../names';

/**
 * A hunting query in the Azure-Sentinel repository's "Hunting Queries" YAML format (id, name,
 * description, requiredDataConnectors, tactics, relevantTechniques, query, entityMappings), for
 * review or for committing to a content repository. A tiny emitter: every scalar is written
 * double-quoted with JSON escapes (valid YAML), the description and query as literal blocks.
 */

/** RFC 4122 version-5-style GUID from our stable id, so the YAML id never changes for a query. */
export function huntingQueryGuid(id: string): string {
  const bytes = createHash('sha1').update(`${GENERATOR}:${id}`).digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** JSON string escapes are YAML double-quoted escapes; YAML also wants non-printables escaped. */
const scalar = (value: string) =>
  JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * A literal block (`|`), or a quoted scalar when the text cannot be one: YAML literal blocks hold
 * printable text only, and lines starting with spaces would need an indentation indicator.
 */
function block(key: string, text: string): string {
  const printable = !/[^\P{Cc}\n]|[\u2028\u2029\ufeff]/u.test(text);
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  if (!printable || text.includes('\r') || /^\s/.test(lines[0] ?? '') || lines.some((l) => /\s$/.test(l))) {
    return `${key}: ${scalar(text)}`;
  }
  return `${key}: |\n${lines.map((l) => (l ? `  ${l}` : '')).join('\n')}`;
}

/**
 * The revision of the query templates (lib/kql): raised by one with every change to what the
 * generated KQL says for the same input, never lowered. test/render/sentinelYaml.test.ts pins
 * the templates' text to it, so a template change that forgets to raise it fails the tests.
 */
export const TEMPLATE_REVISION = 2;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Day 0 of the patch number: before any IOC this app can hold. */
const PATCH_EPOCH = Date.UTC(2020, 0, 1);

/**
 * `1.<template revision>.<patch>`. A query changes when its template does (the minor goes up) or,
 * in the inline form, when its IOCs do: the patch is the day (since 2020-01-01) of the latest
 * first or last sighting among them, which newer IOCs raise. So the version does not go down for
 * a later template or a newer feed; only taking away a query's newest IOCs (a different, older
 * input) would lower the patch. Queries without IOCs (ThreatIntelIndicators form, behaviour
 * hunts) change only with the template: patch 0.
 */
export function queryVersion(q: Pick<HuntingQuery, 'iocsAsOf'>): string {
  const asOf = q.iocsAsOf ? Date.parse(q.iocsAsOf) : NaN;
  const patch = Number.isNaN(asOf) ? 0 : Math.max(0, Math.floor((asOf - PATCH_EPOCH) / DAY_MS));
  return `1.${TEMPLATE_REVISION}.${patch}`;
}

const FORM_NOTE: Record<HuntingQuery['form'], string> = {
  threatIntel: 'ThreatIntelIndicators form: the saved search written to Sentinel; reads the IOCs when it runs.',
  inline:
    'Inline (export) form: the IOC list is in the query; a snapshot of this run, also runnable in Defender advanced hunting.',
  behaviour: 'Behaviour hunt: needs no IOC; the same query is written to Sentinel.',
};

export function renderHuntingYaml(q: HuntingQuery): string {
  const out: string[] = [
    `# ${FORM_NOTE[q.form]}`,
    // The two forms of a table's query share a saved-search id; their YAML ids differ.
    `id: ${huntingQueryGuid(q.form === 'threatIntel' ? `${q.id}:threatIntel` : q.id)}`,
    `name: ${scalar(q.name)}`,
    block('description', q.description),
    q.requiredDataConnectors.length ? 'requiredDataConnectors:' : 'requiredDataConnectors: []',
    ...q.requiredDataConnectors.flatMap((c) => [
      `  - connectorId: ${scalar(c.connectorId)}`,
      '    dataTypes:',
      ...c.dataTypes.map((t) => `      - ${scalar(t)}`),
    ]),
    q.tactics.length ? 'tactics:' : 'tactics: []',
    ...q.tactics.map((t) => `  - ${scalar(t)}`),
    q.techniques.length ? 'relevantTechniques:' : 'relevantTechniques: []',
    ...q.techniques.map((t) => `  - ${scalar(t)}`),
    block('query', q.query),
  ];
  const mappings = q.entityMappings;
  if (mappings.length > 0) {
    out.push('entityMappings:');
    for (const m of mappings) {
      out.push(`  - entityType: ${scalar(m.entityType)}`, '    fieldMappings:');
      for (const f of m.fieldMappings) {
        out.push(`      - identifier: ${scalar(f.identifier)}`, `        columnName: ${scalar(f.columnName)}`);
      }
    }
  }
  out.push(
    `version: ${queryVersion(q)}`,
    'metadata:',
    '  source:',
    `    kind: ${scalar('Community')}`,
    '  author:',
    `    name: ${scalar(GENERATOR)}`,
    '  support:',
    `    tier: ${scalar('Community')}`,
  );
  out.push(`  categories:`, `    domains: [${scalar('Security - Threat Intelligence')}]`);
  return `${out.join('\n')}\n`;
}
