import {
  getContinuationToken,
  type SecurityInsights,
  type ThreatIntelligenceIndicatorModel,
  type ThreatIntelligenceInformationUnion,
} from '@azure/arm-securityinsight';
import type { SentinelTarget } from '../config';
import { SyncError } from '../errors';

/** An indicator as Sentinel holds it: its service-assigned name and its (flattened) properties. */
export interface StoredIndicator {
  name: string;
  properties: ThreatIntelligenceIndicatorModel;
}

/** The threat-intelligence indicators of one workspace, as the writer needs them. */
export interface IndicatorStore {
  /** Every indicator whose `source` is `source`, all pages. */
  listBySource(source: string): AsyncIterable<StoredIndicator>;
  /** Creates an indicator; the service assigns its name. Not idempotent. */
  create(body: ThreatIntelligenceIndicatorModel): Promise<StoredIndicator>;
  /** Replaces an existing indicator. */
  update(name: string, body: ThreatIntelligenceIndicatorModel): Promise<StoredIndicator>;
  remove(name: string): Promise<void>;
}

/** Page size asked of queryIndicators; the service caps it. */
const PAGE_SIZE = 100;
/** A million indicators at 100 a page: far beyond any one source of ours. */
export const MAX_QUERY_PAGES = 10_000;

function isIndicator(item: ThreatIntelligenceInformationUnion): item is ThreatIntelligenceIndicatorModel {
  return item.kind === 'indicator';
}

function stored(item: ThreatIntelligenceInformationUnion): StoredIndicator {
  if (!item.name || !isIndicator(item))
    throw new Error(`unexpected threat-intelligence object ${JSON.stringify(item.id ?? item.name)}`);
  return { name: item.name, properties: item };
}

/** The `$skipToken` of a nextLink, which queryIndicators also takes in its body. */
function skipTokenOf(nextLink: string): string | undefined {
  try {
    const url = new URL(nextLink);
    return url.searchParams.get('$skipToken') ?? url.searchParams.get('skipToken') ?? undefined;
  } catch {
    return undefined;
  }
}

type WorkspaceTarget = Pick<SentinelTarget, 'resourceGroup' | 'workspaceName'>;

/** One POST of queryIndicators: its first page only, so the SDK never GETs the nextLink. */
async function queryPage(
  ti: SecurityInsights['threatIntelligenceIndicator'],
  { resourceGroup, workspaceName }: WorkspaceTarget,
  source: string,
  skipToken: string | undefined,
): Promise<ThreatIntelligenceInformationUnion[]> {
  const pages = ti
    .listQueryIndicators(resourceGroup, workspaceName, {
      sources: [source],
      pageSize: PAGE_SIZE,
      ...(skipToken ? { skipToken } : {}),
    })
    .byPage();
  const first = await pages.next();
  await pages.return?.(undefined);
  return first.done ? [] : first.value;
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

/**
 * queryIndicators is a POST whose filter lives in the body. The SDK would follow `nextLink`
 * with a bare GET, which the REST spec does not define for that path and which drops the
 * filter; so each page is its own POST carrying the nextLink's skip token in the body
 * (`ThreatIntelligenceFilteringCriteria.skipToken`). Paging ends when there is no next token.
 *
 * The writer creates whatever this does not yield, so a partial read would make duplicates:
 * anything that is not a plain walk to the end is an error (SyncError 'AZURE', raised before
 * the writer writes anything), never an early end. Tolerated, because the service does it:
 * a page with nothing on it that still has a next token (read on), and, past the last page,
 * an empty page whose next token is the one just sent (the end). Refused: a skip token handed
 * out twice otherwise (a page repeated), a page of only items already read (paging went
 * backwards), a nextLink without a skip token, and more than `maxPages` pages.
 */
async function* queryBySource(
  ti: SecurityInsights['threatIntelligenceIndicator'],
  target: WorkspaceTarget,
  source: string,
  maxPages: number,
): AsyncIterable<StoredIndicator> {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  let skipToken: string | undefined;
  for (let pageCount = 1; ; pageCount += 1) {
    const page = await queryPage(ti, target, source, skipToken);
    let fresh = 0;
    for (const item of page) {
      if (!isIndicator(item) || !item.name || seen.has(item.name)) continue;
      seen.add(item.name);
      fresh += 1;
      yield stored(item);
    }
    const step = afterPage(page, fresh, skipToken, tokens);
    if ('end' in step) return;
    if ('broken' in step)
      throw new SyncError(
        'AZURE',
        `queryIndicators for source ${JSON.stringify(source)}: ${step.broken} at page ${pageCount}; nothing was written from this partial read`,
      );
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

/**
 * The indicator store over `@azure/arm-securityinsight`
 * (`…/providers/Microsoft.SecurityInsights/threatIntelligence/main/…`).
 */
export function armIndicatorStore(
  client: SecurityInsights,
  target: WorkspaceTarget,
  { maxPages = MAX_QUERY_PAGES }: { maxPages?: number } = {},
): IndicatorStore {
  const ti = client.threatIntelligenceIndicator;
  const { resourceGroup, workspaceName } = target;
  return {
    listBySource: (source) => queryBySource(ti, target, source, maxPages),
    async create(body) {
      return stored(await ti.createIndicator(resourceGroup, workspaceName, body));
    },
    async update(name, body) {
      return stored(await ti.create(resourceGroup, workspaceName, name, body));
    },
    async remove(name) {
      await ti.delete(resourceGroup, workspaceName, name);
    },
  };
}
