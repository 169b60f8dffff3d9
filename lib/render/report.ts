import { groupBy } from '../groupBy';
import { defang } from '../ioc/defang';
import type { Ioc } from '../ioc/types';
import { DEFAULT_LOOKBACK } from '../config';
import { describeIocMix } from '../ioc/mix';
import type { HuntingQuery } from '../kql/huntingQuery';
import type { SkippedHunt } from '../sentinel/workspaceTables';
import { GENERATOR } from '../names';
import { removedLines, type LifecycleResult } from '../sentinel/lifecycle';
import { byCodeUnit } from '../sort';
import { familyNameFor, familyOf, NETSUPPORT_FAMILY, provenanceOf, type Provenance } from '../content/family';
import { mdCode, mdText } from './markdown';
import { huntingQueryCountsText } from './queryCounts';
import { TRIAGE_HEADING, triageSection } from './reportTriage';
import { attackMapping, SENTINEL_TACTICS, type AttackMapping } from '../content/mitre';

/**
 * The markdown report for a run: per family a summary, the IOC table and the hunting queries with
 * their triage notes, then the data sources the queries need. Every IOC value is defanged and the
 * KQL itself is not inlined (it holds live values; it is in hunting-queries/<id>.kql), so the
 * report can be pasted into a ticket or mail without creating live links.
 */

export { mdText } from './markdown';

/** What a SOC engineer should know about a family before hunting it. */
const FAMILY_CONTEXT: Readonly<Record<string, string>> = {
  [NETSUPPORT_FAMILY]:
    'NetSupport Manager is a commercial remote-administration product. Criminals ship its genuine client (client32.exe) with a client32.ini that points at their own gateway, most often through fake browser updates on compromised websites (SocGholish, ClearFake, SmartApeSG) and "ClickFix" paste-and-run lures, and then use it for hands-on-keyboard control, reconnaissance and follow-on payloads (ATT&CK T1219 Remote Access Tools). A hit on its C2 or delivery infrastructure should be treated as a possible interactive intrusion in progress.',
};

const day = (iso?: string) => (iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : '');

function countBy<T>(items: readonly T[], key: (t: T) => string | undefined): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || byCodeUnit(a[0], b[0]));
}

function range(values: string[]): string {
  const sorted = values.filter(Boolean).sort(byCodeUnit);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined) return 'unknown';
  return first === last ? first : `${first} to ${last}`;
}

function iocOrder(a: Ioc, b: Ioc): number {
  // Newest first, as an analyst reads a feed; then by type and value for a stable order.
  return (
    byCodeUnit(b.firstSeen ?? '', a.firstSeen ?? '') ||
    byCodeUnit(a.type, b.type) ||
    byCodeUnit(a.value, b.value) ||
    (a.port ?? 0) - (b.port ?? 0)
  );
}

function threatFoxLink(ioc: Ioc): string {
  return ioc.threatfoxId && /^\d+$/.test(ioc.threatfoxId)
    ? `[${ioc.threatfoxId}](https://threatfox.abuse.ch/ioc/${ioc.threatfoxId}/)`
    : '';
}

function mergedAttack(queries: readonly HuntingQuery[]): AttackMapping {
  const tactics = new Set(queries.flatMap((q) => q.tactics));
  const techniques = new Set(queries.flatMap((q) => q.techniques));
  return {
    tactics: SENTINEL_TACTICS.filter((t) => tactics.has(t)),
    techniques: [...techniques].sort((x, y) => x.localeCompare(y, 'en', { numeric: true })),
  };
}

/** The provenance as report.md's footer says it (the queries say it shorter: PROVENANCE_TEXT). */
const SOURCE_TEXT: Readonly<Record<Provenance, string>> = {
  threatfox: 'abuse.ch ThreatFox',
  manual: 'a list of IOCs submitted by hand (not published by ThreatFox)',
  both: 'abuse.ch ThreatFox and a list of IOCs submitted by hand',
};

function iocsText(n: number, source: Provenance): string {
  const s = n === 1 ? '' : 's';
  if (source === 'threatfox') return `${n} ThreatFox IOC${s}`;
  return source === 'manual'
    ? `${n} IOC${s} submitted by hand (not published by ThreatFox)`
    : `${n} IOC${s} from ThreatFox and submitted by hand`;
}

/** What the two forms of the queries do: the export here, the ThreatIntelIndicators form in Sentinel. */
function queryFormsParagraph(): string[] {
  return [
    "Two forms of each IOC query exist. Below is the **inline (export) form**: the IOC list is written into the query (a snapshot of this run, split into parts when large), so it runs anywhere, Defender advanced hunting included. A sync writes the **ThreatIntelIndicators form** to Sentinel under the same saved-search id: it reads the family's indicators when it runs (expired ones too, each over its own period), so it is never split and never goes stale. Behaviour hunts need no IOC and are the same in both.",
    '',
  ];
}

/** The family's introduction and its facts table. */
function* familyFacts(family: string, name: string, iocs: Ioc[], attack: AttackMapping): Generator<string> {
  const confidences = iocs.map((i) => i.confidence).filter((c): c is number => typeof c === 'number');
  const threatTypes = countBy(iocs, (i) => i.threatType).map(([t, n]) => `${mdText(t)} (${n})`);
  yield* [`## ${mdText(name)}`, ''];
  const context = Object.hasOwn(FAMILY_CONTEXT, family) ? FAMILY_CONTEXT[family] : undefined; // a feed's family may be named `constructor`
  yield* [
    `${context ? `${context} ` : ''}This run holds ${iocsText(iocs.length, provenanceOf(iocs))} for the family; the hunting queries below look for any contact with them in your Sentinel data, and add the context the built-in TI map analytics rules lack (process, port, user, first and last contact).`,
    '',
    ...queryFormsParagraph(),
  ];
  yield* ['| | |', '|---|---|'];
  yield `| Malware family | ${mdText(name)} (${mdCode(family)}) |`;
  yield `| IOCs | ${iocs.length}: ${mdText(describeIocMix(iocs))} |`;
  yield `| Threat types | ${threatTypes.join(', ') || 'not given'} |`;
  yield `| First seen | ${mdText(range(iocs.map((i) => day(i.firstSeen))))} |`;
  // No Math.min(...list): spreading 100k arguments overflows the stack.
  const [low, high] = confidences.reduce(([lo, hi], c) => [Math.min(lo, c), Math.max(hi, c)], [Infinity, -Infinity]);
  yield* [
    `| Confidence | ${confidences.length ? `${low}% to ${high}%`.replace(/^(\d+)% to \1%$/, '$1%') : 'not given'} |`,
  ];
  yield* [`| ATT&CK | ${attack.tactics.join(', ')}; ${attack.techniques.join(', ')} |`, ''];
}

/** The family's IOCs, defanged, one row each. */
function* iocTable(iocs: Ioc[]): Generator<string> {
  // ThreatFox leaves last_seen empty for most IOCs; a column of blanks is noise.
  const lastSeen = iocs.some((i) => day(i.lastSeen));
  const columns = [
    'Type',
    'Value (defanged)',
    'Threat type',
    'First seen',
    ...(lastSeen ? ['Last seen'] : []),
    'Confidence',
    'ThreatFox',
  ];
  yield* [`### IOCs`, '', `| ${columns.join(' | ')} |`, `|${columns.map(() => '---|').join('')}`];
  for (const ioc of [...iocs].sort(iocOrder)) {
    const cells = [
      ioc.type, // the summary's names (md5, not md5_hash): one name for a type everywhere
      mdText(defang(ioc)),
      mdText(ioc.threatType ?? ''),
      day(ioc.firstSeen),
      ...(lastSeen ? [day(ioc.lastSeen)] : []),
      typeof ioc.confidence === 'number' ? `${ioc.confidence}%` : '',
      ioc.origin === 'manual' ? 'no (submitted by hand)' : threatFoxLink(ioc),
    ];
    yield `| ${cells.join(' | ')} |`;
  }
  yield '';
}

/** One hunting query: what it finds, where it is saved, and which triage notes (said once below) apply. */
function querySection(q: HuntingQuery): string[] {
  const connectors =
    q.requiredDataConnectors.map((c) => c.connectorId).join(' or ') || 'any source the ASIM parser normalises';
  const facts = [
    `Saved search ${mdCode(q.id)}, KQL in ${mdCode(`hunting-queries/${q.id}.kql`)}`,
    `${q.requiredTables.join(', ')} (${connectors})`,
    ...(q.form === 'behaviour' ? ['behaviour hunt, no IOC'] : []),
    ...(q.iocCount !== undefined
      ? [`${q.iocCount} IOCs${q.part ? `, part ${q.part.index} of ${q.part.of}` : ''}`]
      : []),
    `${q.tactics.join(', ')}; ${q.techniques.join(', ')}`,
  ];
  const triage = q.falsePositives.map((fp) => mdText(fp.scenario));
  // No blank line under the heading: 19 queries stay readable in a report read in minutes.
  return [
    `#### ${mdText(q.name)}`,
    mdText(q.description),
    `- ${facts.join('; ')}.${triage.length ? ` False positives (see ${TRIAGE_HEADING}): ${triage.join('; ')}.` : ''}`,
    '',
  ];
}

function* familySection(family: string, iocs: Ioc[], queries: HuntingQuery[]): Generator<string> {
  const name = familyNameFor(family, iocs);
  // The family's ATT&CK row is what its queries are tagged with, so the two never disagree.
  const attack = queries.length
    ? mergedAttack(queries)
    : attackMapping(
        family,
        iocs.map((i) => i.threatType),
        iocs.map((i) => i.type),
      );
  yield* familyFacts(family, name, iocs, attack);
  yield* iocTable(iocs);
  yield* ['### Hunting queries', ''];
  if (queries.length === 0) yield* ['None: no IOC of this family maps to a hunted table.', ''];
  for (const q of queries) yield* querySection(q);
  yield* triageSection(family, queries);
}

export interface ReportOptions {
  generatedAt?: Date;
  /** Whether Sentinel was written (undefined: not said, e.g. a report rendered on its own). */
  dryRun?: boolean;
  /** Indicators planned, and how many of them are already past their validity. */
  indicators?: { planned: number; expired: number };
  /** INDICATOR_TTL_DAYS, to explain why an indicator expired. */
  ttlDays?: number;
  /** Saved searches a sync writes to Sentinel (one per table and behaviour hunt); unsaid when absent. */
  savedSearches?: number;
  /** What the run's lifecycle step did (RunSummary.lifecycle), when it ran. */
  lifecycle?: Omit<LifecycleResult, 'failures'>;
  /** Hunts not written to the workspace for want of their table (lib/sentinel/workspaceTables.ts). */
  skippedHunts?: readonly SkippedHunt[];
}

/** The hunts the workspace lacks data for: what is missing and which connector adds it. */
export function skippedHuntsSection(skipped: readonly SkippedHunt[] | undefined): string[] {
  if (!skipped?.length) return [];
  const out = [
    '## Hunts not written to this workspace',
    '',
    'The workspace has no table for these, so no saved search was written; connecting the data connector makes the next run add them.',
    '',
    '| Hunting query | Missing table | Data connector |',
    '|---|---|---|',
  ];
  for (const s of skipped)
    out.push(`| ${mdText(s.name)} | ${s.missing.join(', ')} | ${mdText(s.connectors.join('; '))} |`);
  return [...out, ''];
}

/** The lifecycle step: withdrawn IOCs revoked, removed families' hunting queries deleted. */
function lifecycleSection(done: ReportOptions['lifecycle']): string[] {
  if (!done) return [];
  const r = done.reconcile;
  const lines = [
    ...(r
      ? [
          `- Reconciled with ThreatFox: ${r.confirmed} confirmed, ${r.revoked} revoked (withdrawn by ThreatFox), ${r.lookupFailed} look-ups failed (asked again next run), ${r.notChecked} not checked this run.`,
        ]
      : []),
    ...removedLines(done.huntingQueriesRemoved).map((line) => `- ${mdText(line)}`),
  ];
  return lines.length > 0 ? ['## Lifecycle', '', ...lines, ''] : [];
}

/** Whether Sentinel was written: the first thing a reader needs. */
function dryRunBanner(options: ReportOptions): string[] {
  if (options.dryRun === true) {
    return [
      '**Dry run:** nothing was written to Sentinel. The indicators and hunting queries below are what a run without `--dry-run` would write.',
      '',
    ];
  }
  if (options.dryRun === false) {
    return [
      '**Written to Sentinel:** the indicators below are Sentinel threat-intelligence indicators and the hunting queries are saved searches in the workspace.',
      '',
    ];
  }
  return [];
}

/** What already-expired indicators mean for detection (the TI map rules) and for the hunts. */
function expiryParagraph(options: ReportOptions): string[] {
  const ind = options.indicators;
  if (!ind || ind.expired === 0) return [];
  const all = ind.expired === ind.planned;
  const ttl =
    options.ttlDays !== undefined ? ` + INDICATOR_TTL_DAYS, ${options.ttlDays} days` : ' + INDICATOR_TTL_DAYS';
  return [
    `**Expired indicators:** ${all ? `all ${ind.planned}` : `${ind.expired} of ${ind.planned}`} indicator${ind.planned === 1 ? ' is' : 's are'} already past ${all || ind.expired > 1 ? 'their' : 'its'} validity (last or first seen${ttl}). Sentinel keeps ${ind.expired === 1 ? 'it' : 'them'} as expired: the built-in TI map analytics rules match only active indicators (valid until a future time, within the rules' indicator lookback), so they raise no alert on ${ind.expired === 1 ? 'it' : 'them'}. The hunting queries still hunt an expired indicator over its own period: the saved searches in Sentinel read expired indicators too and match an event the indicator had not expired at, and the exported queries carry the values. They search the time range chosen on Sentinel's hunting page (run elsewhere, the last HUNTING_LOOKBACK, ${DEFAULT_LOOKBACK} by default): widen it to reach back to when the indicators were valid.`,
    '',
  ];
}

/**
 * The report a line at a time (each line without its newline), so a caller can write it as it is
 * rendered: 100k IOCs make a report of about 20 MB, better not held whole next to the IOCs.
 */
export function* reportLines(iocs: Ioc[], queries: HuntingQuery[], options: ReportOptions = {}): Generator<string> {
  const byFamily = groupBy(iocs, familyOf);
  for (const q of queries) if (!byFamily.has(q.family)) byFamily.set(q.family, []);
  const families = [...byFamily.keys()].sort(byCodeUnit);
  const names = families.map((f) => familyNameFor(f, byFamily.get(f)!));

  yield* [`# ThreatFox IOCs and Sentinel hunting queries: ${mdText(names.join(', ') || 'no IOCs')}`, ''];
  const when = options.generatedAt ? ` on ${options.generatedAt.toISOString().replace(/\.\d+Z$/, 'Z')}` : '';
  const counts = huntingQueryCountsText({
    savedSearches: options.savedSearches,
    exported: queries.length,
    split: queries.some((q) => q.part !== undefined),
    families: families.length,
  });
  yield* [
    `Generated by ${GENERATOR}${when} from ${SOURCE_TEXT[provenanceOf(iocs)]}: ${iocs.length} IOC${iocs.length === 1 ? '' : 's'}; hunting queries: ${counts}. Values are defanged (hxxp, [.]); the exact values are in the .kql files and in Sentinel.`,
    '',
  ];
  yield* dryRunBanner(options);
  yield* expiryParagraph(options);
  yield* lifecycleSection(options.lifecycle);
  yield* skippedHuntsSection(options.skippedHunts);
  for (const family of families) {
    yield* familySection(
      family,
      byFamily.get(family)!,
      queries.filter((q) => q.family === family),
    );
  }

  const tables = new Map<string, { connectors: Set<string>; queries: number }>();
  for (const q of queries) {
    for (const t of q.requiredTables) {
      const entry = tables.get(t) ?? { connectors: new Set<string>(), queries: 0 };
      q.requiredDataConnectors.forEach((c) => entry.connectors.add(c.connectorId));
      entry.queries += 1;
      tables.set(t, entry);
    }
  }
  yield* ['## Data the queries need', ''];
  yield* [
    'A query over a table with no data returns nothing: that is absence of telemetry, not absence of compromise.',
    '',
  ];
  yield* ['| Sentinel table | Data connector | Queries |', '|---|---|---|'];
  for (const [table, entry] of [...tables.entries()].sort((a, b) => byCodeUnit(a[0], b[0]))) {
    yield* [
      `| ${table} | ${[...entry.connectors].join(' or ') || 'ASIM parser (any normalised source)'} | ${entry.queries} |`,
    ];
  }
  yield* ['', '## References', '', '- abuse.ch ThreatFox: https://threatfox.abuse.ch/'];
  for (const family of families) {
    if (/^[a-z0-9][a-z0-9._-]*$/.test(family) && family.includes('.')) {
      yield* [
        `- Malpedia, ${mdText(familyNameFor(family, byFamily.get(family)!))}: https://malpedia.caad.fkie.fraunhofer.de/details/${family}`,
      ];
    }
  }
}

/** The whole report as one string (tests, small runs); --out writes reportLines as they come. */
export function renderReport(iocs: Ioc[], queries: HuntingQuery[], options: ReportOptions = {}): string {
  let text = '';
  for (const line of reportLines(iocs, queries, options)) text += `${line}\n`;
  return text;
}
