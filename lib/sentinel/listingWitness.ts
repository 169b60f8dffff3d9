import {
  getContinuationToken,
  type SecurityInsights,
  type ThreatIntelligenceInformationUnion,
} from '@azure/arm-securityinsight';
import { z } from 'zod';
import { errorLine, SyncError } from '../errors';
import { silentLogger } from '../logger';
import { isIndicator, stored, type ListOptions, type StoredIndicator, type WorkspaceTarget } from './indicatorStore';

/**
 * Reading every indicator of a source from queryIndicators, page by page, and proving the listing
 * complete (see `checkedQuery`): the walk refuses broken paging, and the service's own count is
 * the second witness.
 */

/** Page size asked of queryIndicators; the service caps it. */
const PAGE_SIZE = 100;

/** The `$skipToken` of a nextLink, which queryIndicators also takes in its body. */
function skipTokenOf(nextLink: string): string | undefined {
  try {
    const url = new URL(nextLink);
    return url.searchParams.get('$skipToken') ?? url.searchParams.get('skipToken') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds of a time the service sent, or undefined when it sent none or nonsense. */
function instant(value: string | null | undefined): number | undefined {
  const t = value ? Date.parse(value) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

interface Page {
  items: ThreatIntelligenceInformationUnion[];
  /** The service's clock when it answered (the `Date` header). */
  answeredAt?: number;
}

/** One POST of queryIndicators: its first page only, so the SDK never GETs the nextLink. */
async function queryPage(
  ti: SecurityInsights['threatIntelligenceIndicator'],
  { resourceGroup, workspaceName }: WorkspaceTarget,
  source: string,
  skipToken: string | undefined,
): Promise<Page> {
  let answeredAt: number | undefined;
  const pages = ti
    .listQueryIndicators(
      resourceGroup,
      workspaceName,
      { sources: [source], pageSize: PAGE_SIZE, ...(skipToken ? { skipToken } : {}) },
      { onResponse: (raw) => (answeredAt = instant(raw.headers.get('date'))) },
    )
    .byPage();
  const first = await pages.next();
  await pages.return?.(undefined);
  return { items: first.done ? [] : first.value, answeredAt };
}

/** What follows a page: the end, the next skip token, or why the walk is broken. */
type AfterPage = { end: true } | { next: string } | { broken: string };

function afterPage(
  page: ThreatIntelligenceInformationUnion[],
  fresh: number,
  skipToken: string | undefined,
  tokens: ReadonlySet<string>,
): AfterPage {
  const nextLink = getContinuationToken(page);
  if (!nextLink) return { end: true };
  const next = skipTokenOf(nextLink);
  if (!next) return { broken: 'a nextLink without a skip token' };
  if (next === skipToken && page.length === 0) return { end: true };
  if (tokens.has(next)) return { broken: 'a skip token handed out twice (a page repeated)' };
  if (page.length > 0 && fresh === 0)
    return { broken: 'a page of only indicators already read (paging went backwards)' };
  return { next };
}

/** What one walk through the pages saw. */
interface Walk {
  /** Names of the indicators read. */
  names: Set<string>;
  /** The service's clock at its first answer: nothing deleted before then can be in the listing. */
  startedAt?: number;
  /**
   * The last page held as many items as the fullest page before it (or PAGE_SIZE): a walk cut
   * short ends like that, but so does a list whose length is a multiple of the page size.
   */
  endedOnFullPage: boolean;
}

/**
 * One walk through queryIndicators for `source`. It is a POST whose filter lives in the body;
 * the SDK would follow `nextLink` with a bare GET, which the REST spec does not define for that
 * path and which drops the filter, so each page is its own POST carrying the nextLink's skip
 * token in the body (`ThreatIntelligenceFilteringCriteria.skipToken`). Paging ends when there is
 * no next token.
 *
 * Tolerated, because the service does it: a page with nothing on it that still has a next token
 * (read on), and, past the last page, an empty page whose next token is the one just sent (the
 * end). Refused (SyncError 'AZURE'): a skip token handed out twice otherwise (a page repeated), a
 * page of only items already read (paging went backwards), a nextLink without a skip token, and
 * more than `maxPages` pages.
 */
async function* walkPages(
  ti: SecurityInsights['threatIntelligenceIndicator'],
  target: WorkspaceTarget,
  source: string,
  maxPages: number,
): AsyncGenerator<StoredIndicator, Walk> {
  const names = new Set<string>();
  const tokens = new Set<string>();
  let startedAt: number | undefined;
  let fullest = 0;
  let skipToken: string | undefined;
  for (let pageCount = 1; ; pageCount += 1) {
    const { items, answeredAt } = await queryPage(ti, target, source, skipToken);
    if (pageCount === 1) startedAt = answeredAt;
    let fresh = 0;
    for (const item of items) {
      if (!isIndicator(item) || !item.name || names.has(item.name)) continue;
      names.add(item.name);
      fresh += 1;
      yield stored(item);
    }
    const step = afterPage(items, fresh, skipToken, tokens);
    if ('end' in step) {
      const endedOnFullPage = items.length > 0 && items.length >= (fullest || PAGE_SIZE);
      return { names, startedAt, endedOnFullPage };
    }
    if ('broken' in step)
      throw new SyncError(
        'AZURE',
        `queryIndicators for source ${JSON.stringify(source)}: ${step.broken} at page ${pageCount}; nothing was written from this partial read`,
      );
    fullest = Math.max(fullest, items.length);
    tokens.add(step.next);
    skipToken = step.next;
    if (pageCount >= maxPages) {
      throw new SyncError(
        'AZURE',
        `queryIndicators for source ${JSON.stringify(source)} still had more after ${maxPages} pages; giving up rather than reading part of them`,
      );
    }
  }
}

/** The part of the metrics answer we read (ThreatIntelligenceMetricsList), checked at the boundary. */
const metricsAnswer = z.object({
  value: z.array(
    z.object({
      properties: z
        .object({
          lastUpdatedTimeUtc: z.string().optional(),
          sourceMetrics: z
            .array(
              z.object({ metricName: z.string().optional(), metricValue: z.number().int().nonnegative().optional() }),
            )
            .optional(),
        })
        .optional(),
    }),
  ),
});

/** The service's count of one source's indicators, and when it was computed. */
interface SourceCount {
  count: number;
  /** The oldest `lastUpdatedTimeUtc` of the answer; undefined when any is missing. */
  asOf?: number;
}

/**
 * One GET of `…/threatIntelligence/main/metrics`: the indicators of `source` the service counts
 * (its `sourceMetrics`; names compared without case, as queryIndicators' `sources` filter does).
 */
async function countBySource(
  client: SecurityInsights,
  { resourceGroup, workspaceName }: WorkspaceTarget,
  source: string,
): Promise<SourceCount> {
  const answer = metricsAnswer.parse(
    await client.threatIntelligenceIndicatorMetrics.list(resourceGroup, workspaceName),
  );
  const wanted = source.toLowerCase();
  let count = 0;
  let asOf: number | undefined = Number.POSITIVE_INFINITY;
  for (const { properties } of answer.value) {
    const at = instant(properties?.lastUpdatedTimeUtc);
    asOf = at === undefined || asOf === undefined ? undefined : Math.min(asOf, at);
    for (const m of properties?.sourceMetrics ?? [])
      if (m.metricName?.toLowerCase() === wanted) count += m.metricValue ?? 0;
  }
  return { count, asOf: asOf === Number.POSITIVE_INFINITY ? undefined : asOf };
}

/**
 * Whether the metrics were computed no earlier than the read began (by the service's clocks, with
 * their allowance): only then does a count at most what was listed vouch that nothing was missed.
 */
function computedSince(metrics: SourceCount, startedAt: number | undefined, allowanceMs: number): boolean {
  return metrics.asOf !== undefined && startedAt !== undefined && metrics.asOf >= startedAt - allowanceMs;
}

/** What a second walk found that the first did not. */
interface SecondWalk {
  count: number;
  /** Indicators the first walk missed although they were there before it began. */
  missed: number;
}

async function walkAgain(
  again: AsyncGenerator<StoredIndicator, Walk>,
  first: Walk,
  allowanceMs: number,
): Promise<SecondWalk> {
  let count = 0;
  let missed = 0;
  for await (const item of again) {
    count += 1;
    if (first.names.has(item.name)) continue;
    // One created while the first walk ran (another run writing) proves nothing; one older does.
    const created = instant(item.properties.created);
    if (first.startedAt === undefined || created === undefined || created < first.startedAt - allowanceMs) missed += 1;
  }
  return { count, missed };
}

export interface CheckedQueryOptions {
  maxPages: number;
  allowanceMs: number;
  list: ListOptions;
}

const plural = (n: number) => `${n} indicator${n === 1 ? '' : 's'}`;

/**
 * Every indicator of `source`, and, when asked (`checkComplete`), proof that none was left out.
 *
 * The writer creates whatever this does not yield, so a partial read would make duplicates: a
 * listing that ends early must be an error, raised before the writer writes anything. The walk
 * itself refuses every broken paging it can see (see walkPages); a last page without a nextLink
 * while more exist looks exactly like the end, so a second witness is asked: the service's own
 * count of the source's indicators (threat-intelligence metrics, one request). When it counts
 * more than were listed (or, with no count to be had, the walk ended on a full page), the list is
 * walked again:
 *
 * - the second walk finds indicators the first missed that were there before it began: the first
 *   ended early. Error, naming the counts.
 * - both walks agree and stay below the count: the count may lag behind deletes (ours included:
 *   duplicates removed by the previous run). That is an error only when the count was computed
 *   after the first walk began, by the service's clocks (so no earlier delete can explain it);
 *   otherwise a warning, and the run goes on: a healthy run right after deletes never fails.
 * - the metrics request fails: a warning, and the run goes on. It is a second witness, not the
 *   read itself; the walk's own checks stand, and (told through `onUnvouched`, as in the lagging
 *   case) the writer reads back after creating, which removes what a short read duplicated.
 */
export async function* checkedQuery(
  client: SecurityInsights,
  target: WorkspaceTarget,
  source: string,
  options: CheckedQueryOptions,
): AsyncIterable<StoredIndicator> {
  const ti = client.threatIntelligenceIndicator;
  const walk = () => walkPages(ti, target, source, options.maxPages);
  const first = yield* walk();
  if (!options.list.checkComplete) return;
  const logger = options.list.logger ?? silentLogger;
  const listed = first.names.size;
  let metrics: SourceCount | undefined;
  try {
    metrics = await countBySource(client, target, source);
  } catch (e) {
    const error = errorLine(e instanceof Error ? e.message : String(e));
    logger.warn(
      { source, listed, error },
      'threat-intelligence metrics unavailable: the listing is not cross-checked against the service count',
    );
    options.list.onUnvouched?.();
  }
  if (metrics ? metrics.count <= listed : !first.endedOnFullPage) {
    // Metrics computed before the read began may lag behind creates made since: they vouch for nothing.
    if (metrics && !computedSince(metrics, first.startedAt, options.allowanceMs)) options.list.onUnvouched?.();
    return;
  }

  const second = await walkAgain(walk(), first, options.allowanceMs);
  const counted = metrics ? ` and the service's metrics count ${metrics.count}` : '';
  if (second.missed > 0)
    throw new SyncError(
      'AZURE',
      `queryIndicators for source ${JSON.stringify(source)} ended early: the first read listed ${plural(listed)}, a second read ${second.count} (${second.missed} missed by the first although older than it)${counted}; nothing was written from the partial read`,
    );
  // More the second time: another run is creating beside this one, and the observables it creates
  // may be created here too. Nothing is wrong with the read, but the writer reads back after.
  if (second.count !== listed) options.list.onUnvouched?.();
  if (!metrics || metrics.count <= Math.max(listed, second.count)) return;
  const metricsAsOf = metrics.asOf === undefined ? undefined : new Date(metrics.asOf).toISOString();
  const fresh =
    metrics.asOf !== undefined && first.startedAt !== undefined && metrics.asOf > first.startedAt + options.allowanceMs;
  if (fresh)
    throw new SyncError(
      'AZURE',
      `queryIndicators for source ${JSON.stringify(source)} ended early: two reads listed ${plural(listed)} and ${second.count}, but the service's metrics, computed after the first read began (${metricsAsOf}), count ${metrics.count}; nothing was written from the partial read`,
    );
  logger.warn(
    { source, listed, listedAgain: second.count, metrics: metrics.count, metricsAsOf },
    'two listings agree but the threat-intelligence metrics count more; taken as metrics lagging behind deletes',
  );
  options.list.onUnvouched?.();
}
