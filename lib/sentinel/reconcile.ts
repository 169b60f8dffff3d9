import { errorLine } from '../errors';
import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import { silentLogger, type Logger } from '../logger';
import type { LookupBudget, LookupOutcome } from '../threatfox/lookup';
import { factsFromIndicator } from './indicator';
import { contentHash, renderIndicator, sameIndicator } from './indicatorBody';
import { epochMs, type IndicatorFacts } from './indicatorFacts';
import type { IndicatorStore, StoredIndicator } from './indicatorStore';
import { sumCounts, type ItemFailure } from './writeCounts';

/**
 * Withdrawn IOCs revoked: each active indicator of ours is looked up on ThreatFox by its ThreatFox
 * id(s), oldest-confirmed first, within the run's budget. One ThreatFox no longer holds (every id
 * answers `no_result`) is revoked with a PUT that keeps everything else; one it still holds gets
 * the day in its `threatfox-confirmed:` label, written as it goes, so a run cut short (budget,
 * deadline) resumes with the ones it did not reach. Left alone: a failed look-up (counted, asked
 * again next run), a pasted indicator (no ThreatFox id, or submitted by hand), one already revoked,
 * expired ones, and one an analyst changed (see changedByOthers).
 */

export interface ReconcileCounts {
  /** ThreatFox still holds it: its confirmed day was moved to today. */
  confirmed: number;
  /** ThreatFox no longer holds it: revoked. */
  revoked: number;
  /** A look-up failed (timeout, 429, 5xx, garbage): nothing changed, asked again next run. */
  lookupFailed: number;
  /** Not reached this run (budget, deadline, ThreatFox failing): first in line next run. */
  notChecked: number;
  /** The confirm or revoke PUT failed (listed in failures). */
  failed: number;
}

export const zeroReconcileCounts = (): ReconcileCounts => ({
  confirmed: 0,
  revoked: 0,
  lookupFailed: 0,
  notChecked: 0,
  failed: 0,
});

export const addReconcileCounts = (a: ReconcileCounts, b: ReconcileCounts): ReconcileCounts => sumCounts(a, b);

export interface ReconcileOptions {
  source: string;
  lookups: LookupBudget;
  now: Date;
  logger?: Logger;
}

/** Fields the service stamps on what it returns; a PUT carries what the indicator says, not these. */
const SERVICE_FIELDS = [
  'id',
  'name',
  'type',
  'etag',
  'systemData',
  'created',
  'lastUpdatedTimeUtc',
  'parsedPattern',
  'additionalData',
  'friendlyName',
] as const;

/** The indicator as a PUT body: every field it has, the service's stamps left out. */
function asBody(model: ThreatIntelligenceIndicatorModel): ThreatIntelligenceIndicatorModel {
  const body = { ...model };
  for (const key of SERVICE_FIELDS) delete (body as Record<string, unknown>)[key];
  return body;
}

/**
 * Whether someone else changed an indicator since the app last confirmed it: what it says now,
 * rendered as we would write it, no longer has the fingerprint its `threatfox-confirmed:` label
 * recorded. False when it was never confirmed (nothing recorded to compare with).
 */
export function changedSinceConfirmed(model: ThreatIntelligenceIndicatorModel, source: string): boolean {
  const facts = factsFromIndicator(model);
  if (!facts?.confirmedHash) return false;
  return contentHash(renderIndicator({ ...facts, confirmedOn: undefined }, source)) !== facts.confirmedHash;
}

/**
 * An analyst changed it when it carries analyst tags (`threatIntelligenceTags`, which we never
 * write); when what it says no longer fits the fingerprint its `threatfox-confirmed:` label
 * recorded (any field we write: confidence, validity, labels, name, references...); or when a
 * field we write differs from what we would write for the facts it carries (display name, kill
 * chain, threat types, references). The description is left out: it holds reporters and
 * threat-type texts the labels do not keep.
 */
export function changedByOthers(model: ThreatIntelligenceIndicatorModel, facts: IndicatorFacts, source: string) {
  if (model.threatIntelligenceTags?.length || changedSinceConfirmed(model, source)) return true;
  const ours = renderIndicator(facts, source);
  return !sameIndicator({ ...model, description: '' }, { ...ours, description: '' });
}

type Candidate = { item: StoredIndicator; facts: IndicatorFacts; ids: string[] };

/** Which of ours are looked up, oldest-confirmed (never confirmed first), then oldest-created. */
function candidates(ours: readonly StoredIndicator[], options: ReconcileOptions, logger: Logger): Candidate[] {
  const skipped = { revoked: 0, expired: 0, pasted: 0, changedByOthers: 0, unreadable: 0 };
  const out: Candidate[] = [];
  for (const item of ours) {
    const model = item.properties;
    const facts = factsFromIndicator(model);
    if (!facts) skipped.unreadable += 1;
    else if (model.revoked === true) skipped.revoked += 1;
    else if ((epochMs(model.validUntil) ?? Infinity) <= options.now.getTime()) skipped.expired += 1;
    else if (facts.submittedByHand || facts.threatfoxIds.length === 0) skipped.pasted += 1;
    else if (changedByOthers(model, facts, options.source)) skipped.changedByOthers += 1;
    else out.push({ item, facts, ids: facts.threatfoxIds });
  }
  logger.info({ candidates: out.length, skipped }, 'indicators to reconcile with ThreatFox');
  const created = (c: Candidate) => epochMs(c.item.properties.created) ?? 0;
  return out.sort(
    (a, b) =>
      (a.facts.confirmedOn ?? '').localeCompare(b.facts.confirmedOn ?? '') ||
      created(a) - created(b) ||
      a.item.name.localeCompare(b.item.name),
  );
}

/** ThreatFox holds it when any of its ids answers; it withdrew it only when every id says `no_result`. */
function verdict(outcomes: readonly LookupOutcome[]): 'present' | 'gone' | 'failed' | 'notAsked' {
  if (outcomes.some((o) => o.status === 'present')) return 'present';
  if (outcomes.every((o) => o.status === 'gone')) return 'gone';
  return outcomes.some((o) => o.status === 'failed') ? 'failed' : 'notAsked';
}

/** The PUT a verdict asks for; undefined when the indicator already says it. */
function bodyFor(c: Candidate, verdict: 'present' | 'gone', today: string, source: string) {
  const model = c.item.properties;
  if (verdict === 'gone') return { ...asBody(model), revoked: true };
  if (c.facts.confirmedOn === today) return undefined;
  const labels = renderIndicator({ ...c.facts, confirmedOn: today }, source).labels;
  return { ...asBody(model), labels };
}

/** Reconciles one workspace's indicators of `source` with ThreatFox. */
export async function reconcileIndicators(
  store: IndicatorStore,
  options: ReconcileOptions,
): Promise<{ counts: ReconcileCounts; failures: ItemFailure[] }> {
  const logger = options.logger ?? silentLogger;
  const ours: StoredIndicator[] = [];
  for await (const item of store.listBySource(options.source, { logger }))
    if (item.properties.source === options.source) ours.push(item);
  const counts = zeroReconcileCounts();
  const failures: ItemFailure[] = [];
  const today = options.now.toISOString().slice(0, 10);
  for (const c of candidates(ours, options, logger)) {
    if (!options.lookups.canAsk(c.ids)) {
      counts.notChecked += 1;
      continue;
    }
    const outcomes: LookupOutcome[] = [];
    for (const id of c.ids) outcomes.push(await options.lookups.ask(id));
    const found = verdict(outcomes);
    if (found === 'notAsked') counts.notChecked += 1;
    if (found === 'failed') {
      counts.lookupFailed += 1;
      const errors = outcomes.flatMap((o) => (o.status === 'failed' ? [o.error] : []));
      logger.warn({ indicator: c.item.name, ids: c.ids, errors }, 'ThreatFox look-up failed; nothing changed');
    }
    if (found !== 'present' && found !== 'gone') continue;
    const body = bodyFor(c, found, today, options.source);
    try {
      if (body) await store.update(c.item.name, body);
      counts[found === 'gone' ? 'revoked' : 'confirmed'] += 1;
      if (found === 'gone') logger.info({ indicator: c.item.name, ids: c.ids }, 'withdrawn by ThreatFox: revoked');
    } catch (e) {
      const error = errorLine(e);
      counts.failed += 1;
      failures.push({
        kind: 'indicator',
        key: `${c.facts.type}:${c.facts.value} (${found === 'gone' ? 'revoke' : 'confirm'})`,
        error,
      });
      logger.warn({ indicator: c.item.name, error }, 'reconcile write failed');
    }
  }
  return { counts, failures };
}
