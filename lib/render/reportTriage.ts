import type { HuntingQuery } from '../kql/huntingQuery';
import { guidanceForTables } from '../content/falsePositives';
import { mdText } from './markdown';

/** The heading the queries point to for their false-positive notes. */
export const TRIAGE_HEADING = 'False positives and triage';

/**
 * A family's false-positive and triage notes, each said once (the same scenario applies to many
 * tables), naming the tables it applies to; each query above lists the notes that concern it.
 */
export function* triageSection(family: string, queries: readonly HuntingQuery[]): Generator<string> {
  const byScenario = new Map<string, { tables: string[]; texts: Set<string> }>();
  for (const q of queries) {
    for (const fp of q.falsePositives) {
      const entry = byScenario.get(fp.scenario) ?? { tables: [], texts: new Set<string>() };
      if (!entry.tables.includes(q.table)) entry.tables.push(q.table);
      entry.texts.add(fp.guidance);
      byScenario.set(fp.scenario, entry);
    }
  }
  if (byScenario.size === 0) return;
  yield* [`### ${TRIAGE_HEADING}`, ''];
  for (const [scenario, { tables, texts }] of byScenario) {
    // Guidance that names each table's columns is said once for all of them.
    const guidance =
      texts.size === 1 ? [...texts].join('') : (guidanceForTables(scenario, tables, family) ?? [...texts].join(' '));
    yield `- **${mdText(scenario)}** (${tables.map(mdText).join(', ')}). ${mdText(guidance)}`;
  }
  yield '';
}
