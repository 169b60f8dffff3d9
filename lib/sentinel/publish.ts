import { errorLine } from '../errors';
import type { SentinelSettings, Settings } from '../config';
import type { Ioc } from '../ioc/types';
import { type HuntingQuery } from '../kql/huntingQuery';
import { buildThreatIntelQueries, familiesOf } from '../kql/threatIntelQueries';
import { silentLogger, type Logger } from '../logger';
import { withRunDeadline } from '../net/deadline';
import { generatedForFamilies, toSavedSearch } from './savedSearch';
import type { PublishResult, SentinelStores } from './stores';
import type { WorkspaceStores } from './stores';
import { publishToWorkspaces, type MultiPublishResult } from './workspaceSync';
import { workspaceResourceId } from '../workspaceRef';
import { huntsForWorkspace, type SkippedHunt, type WorkspaceTableReader } from './workspaceTables';
import { syncIndicators, type SyncIndicatorsOptions } from './indicatorWriter';
import { syncSavedSearches } from './savedSearchWriter';

/**
 * The sentinel stage's write: indicators first, then the saved searches of their families, to one
 * workspace (`publish`) or to every workspace of a run within its deadline (`publishWithinDeadline`).
 */

/** The saved searches of the families these IOCs belong to: independent of which IOCs they are. */
export function savedSearchesFor(
  iocs: readonly Ioc[],
  sentinel: Pick<SentinelSettings, 'source' | 'huntingLookback'>,
): HuntingQuery[] {
  return buildThreatIntelQueries(familiesOf(iocs), {
    indicatorSource: sentinel.source,
    lookback: sentinel.huntingLookback,
  });
}

export type PublishOptions = SyncIndicatorsOptions & { huntingLookback: string };

/**
 * Upserts the indicators, then makes sure the families' saved searches are there. The searches read
 * the indicators from ThreatIntelIndicators, so they depend on the family and the settings only: a
 * batch that adds, extends or expires IOCs finds them unchanged and writes none. Nothing needs the
 * other batches' IOCs, so batches need no lock against each other; stale searches of these families
 * (parts of the old split layout, a table no longer hunted) are removed.
 */
export async function publish(iocs: Ioc[], stores: SentinelStores, options: PublishOptions): Promise<PublishResult> {
  const logger = options.logger ?? silentLogger;
  const written = await syncIndicators(stores.indicators, iocs, { ...options, logger });
  const families = new Set(iocs.map((i) => i.malware).filter((m): m is string => !!m));
  const all = savedSearchesFor(iocs, { source: options.source, huntingLookback: options.huntingLookback });
  const { queries, skipped } = await huntsWithData(all, stores.tables, logger);
  // A skipped hunt's saved search (ours from before its table went, or an analyst's edit) stays as it is.
  const skippedIds = new Set(skipped.map((s) => s.id.toLowerCase()));
  const ours = generatedForFamilies(families);
  const searches = await syncSavedSearches(
    stores.savedSearches,
    queries.map((q) => toSavedSearch(q, options.source)),
    {
      concurrency: options.concurrency,
      logger,
      owns: (search) => ours(search) && !skippedIds.has(search.id.toLowerCase()),
    },
  );
  return {
    indicators: written.counts,
    huntingQueries: searches.counts,
    failures: [...written.failures, ...searches.failures],
    queries,
    skippedHunts: skipped,
  };
}

/**
 * The hunts the workspace has data for (lib/sentinel/workspaceTables.ts). When its tables cannot be
 * read, every hunt is written, as before table awareness, and the warning says why.
 */
async function huntsWithData(
  queries: HuntingQuery[],
  tables: WorkspaceTableReader | undefined,
  logger: Logger,
): Promise<{ queries: HuntingQuery[]; skipped: SkippedHunt[] }> {
  if (!tables) return { queries, skipped: [] };
  let names: Set<string>;
  try {
    names = await tables.list();
  } catch (e) {
    logger.warn({ error: errorLine(e) }, 'reading the workspace tables failed: writing every hunt');
    return { queries, skipped: [] };
  }
  const { kept, skipped } = huntsForWorkspace(queries, names);
  for (const s of skipped)
    logger.info(
      { id: s.id, missing: s.missing, connectors: s.connectors },
      'hunt skipped: the workspace lacks its table',
    );
  return { queries: kept, skipped };
}

/** What a run adds to the settings: its clock, its logger, progress, and when its deadline started counting. */
export interface PublishRun {
  now?: Date;
  logger: Logger;
  onProgress?: (done: number, total: number) => void;
  /** Epoch ms the run started (default: now), so the deadline counts the time spent collecting too. */
  startedAt?: number;
  /**
   * Per workspace (its resource id): the IOCs that
   * landed there before (the queue job's seenIocs). See SyncIndicatorsOptions.landedBefore.
   */
  landedBefore?: (workspaceId: string) => (ioc: Ioc) => boolean;
}

/**
 * Publishes the IOCs to every workspace of `destination` under the run's deadline
 * (RUN_DEADLINE_SECONDS): every ARM request still going then ends, and what did not finish is
 * counted as failed, so a run always ends by itself and says what it could not do.
 */
export function publishWithinDeadline(
  iocs: Ioc[],
  destination: readonly WorkspaceStores[],
  settings: Pick<Settings, 'sentinel'>,
  run: PublishRun,
): Promise<MultiPublishResult> {
  const sentinel = settings.sentinel;
  return withRunDeadline({ seconds: sentinel.runDeadlineSeconds, startedAt: run.startedAt }, () =>
    publishToWorkspaces(
      destination,
      (one, concurrency) => {
        const workspaceId = workspaceResourceId(one.workspace);
        return publish(iocs, one, {
          source: sentinel.source,
          ttlDays: sentinel.ttlDays,
          huntingLookback: sentinel.huntingLookback,
          concurrency: concurrency ?? sentinel.concurrency,
          now: run.now,
          // Kept-out counts (an analyst's deletion) are logged with their workspace.
          logger: run.landedBefore ? run.logger.child({ workspace: workspaceId }) : run.logger,
          onProgress: run.onProgress,
          landedBefore: run.landedBefore?.(workspaceId),
        });
      },
      { perSubscription: sentinel.workspacesPerSubscription, logger: run.logger },
    ),
  );
}
