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
 * `1.1.<n>`: the minor is the template revision, the patch a digest of the query text, so the
 * version changes whenever the query does (and only then). Compare versions for equality: with no
 * record of earlier runs, a later query cannot be promised a higher number.
 */
export const TEMPLATE_REVISION = 1;
export function queryVersion(query: string): string {
  const digest = parseInt(createHash('sha256').update(query).digest('hex').slice(0, 6), 16);
  return `1.${TEMPLATE_REVISION}.${digest}`;
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
    `version: ${queryVersion(q.query)}`,
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
