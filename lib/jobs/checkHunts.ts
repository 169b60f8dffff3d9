import { errorLine } from '../errors';
import type { SentinelTarget, Settings } from '../config';
import { familyNameFor } from '../content/family';
import { type HuntingQuery } from '../kql/huntingQuery';
import { buildThreatIntelQueries } from '../kql/threatIntelQueries';
import { ourIndicatorValuesQuery } from '../kql/indicatorCount';
import type { ArmClients } from '../sentinel/armClients';
import { armIndicatorStore } from '../sentinel/armIndicatorStore';
import { DEFAULT_LOGS_ENDPOINT, type LogsAnswer, type LogsQueryRunner } from '../sentinel/logsQuery';
import { parsePattern } from '../sentinel/stix';
import { armWorkspaceTables, describeSkipped, huntsForWorkspace } from '../sentinel/workspaceTables';

/**
 * The check's proof that the hunts work where they live: which hunts the workspace has data for
 * (ARM's tables list), each hunting query the sync would write run once through the Logs query API
 * over the last hour, and how many of our active indicators those queries see. Read-only: a Logs
 * query cannot write, and ARM gets GETs and queryIndicators reads.
 */

export type HuntCheckId = 'hunt-tables' | 'logs-query' | 'hunts' | 'ti-visibility';

export const HUNT_CHECK_TITLES: Record<HuntCheckId, string> = {
  'hunt-tables': 'Tables the hunts read',
  'logs-query': 'Logs query API',
  hunts: 'Hunting queries run',
  'ti-visibility': 'Hunts see our indicators',
};

export interface HuntLine {
  id: HuntCheckId;
  /** Set on a per-hunt line: "Hunt CommonSecurityLog". */
  title?: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface HuntCheckContext {
  settings: Settings;
  target: SentinelTarget;
  clients: ArmClients;
  /** The workspace's customerId (the Logs API's workspace id); absent when the workspace could not be read. */
  workspaceId?: string;
  /** Who the roles are granted to, for the fix. */
  identity: string;
  signal: () => AbortSignal;
  /** The Logs query API client (services.logsQuery), opened only when the hunts are reached. */
  logs: () => LogsQueryRunner;
}

/** Each hunt runs over this window: enough to prove it resolves and runs, cheap for the workspace. */
export const HUNT_WINDOW = 'PT1H';
/** The indicator query reads ThreatIntelIndicators over the hunts' own indicator lookback (14d) and a day more. */
const INDICATOR_WINDOW = 'P15D';
/** Indicators written through the API reach ThreatIntelIndicators after minutes; younger than this, missing is the delay. */
export const INGESTION_GRACE_MINUTES = 30;

const notReached = (ids: HuntCheckId[], because: string): HuntLine[] =>
  ids.map((id) => ({ id, ok: false, detail: `not checked: ${because}` }));

/** The hunts a sync of the configured families writes, before the workspace's tables are considered. */
export function huntsOfSettings(settings: Settings): HuntingQuery[] {
  return buildThreatIntelQueries(
    settings.threatfox.malware.map((id) => ({ id, name: familyNameFor(id, []) })),
    { indicatorSource: settings.sentinel.source, lookback: settings.sentinel.huntingLookback },
  );
}

export async function huntLines(ctx: HuntCheckContext): Promise<HuntLine[]> {
  const all = huntsOfSettings(ctx.settings);
  let tables: Set<string>;
  try {
    tables = await armWorkspaceTables(ctx.clients.operationalInsights, ctx.target).list(ctx.signal());
  } catch (e) {
    return [
      {
        id: 'hunt-tables',
        ok: false,
        detail: `could not list the workspace's tables: ${errorLine(e)}`,
        fix: roleFix(ctx),
      },
      ...notReached(['logs-query', 'hunts', 'ti-visibility'], 'the tables are unknown'),
    ];
  }
  const { kept, skipped } = huntsForWorkspace(all, tables);
  const tablesLine: HuntLine = {
    id: 'hunt-tables',
    ok: true,
    detail:
      skipped.length === 0
        ? `${kept.length} of ${all.length} hunts have their table`
        : `${kept.length} of ${all.length} hunts have their table; ${skipped.length} not written until you connect ${describeSkipped(skipped)}`,
  };
  if (!ctx.workspaceId)
    return [
      tablesLine,
      ...notReached(['logs-query', 'hunts', 'ti-visibility'], 'the workspace id (customerId) is unknown'),
    ];
  // Every hunt reads ThreatIntelIndicators: without it each would fail alike (its own line says what to enable).
  if (![...tables].some((t) => t.toLowerCase() === 'threatintelindicators'))
    return [tablesLine, ...notReached(['logs-query', 'hunts', 'ti-visibility'], 'no ThreatIntelIndicators table yet')];
  const logs = ctx.logs();
  const workspaceId = ctx.workspaceId;

  // The indicator query first: the cheapest proof that the API answers and lets us query.
  const seen = await seenIndicators(logs, workspaceId, ctx);
  if (!seen.ok && seen.kind !== 'query')
    return [
      tablesLine,
      accessLine(seen, ctx),
      ...notReached(['hunts', 'ti-visibility'], 'the Logs query API refused or did not answer'),
    ];
  const host = hostOf(ctx);
  const lines: HuntLine[] = [
    tablesLine,
    { id: 'logs-query', ok: true, detail: `${host} answered a query of workspace ${workspaceId}` },
  ];
  for (const q of kept) lines.push(await huntLine(logs, workspaceId, q, ctx));
  if (kept.length === 0)
    lines.push({
      id: 'hunts',
      ok: false,
      detail: 'none to run: the workspace has none of the tables the hunts read',
      fix: `connect a data connector the hunts read: ${describeSkipped(skipped)}`,
    });
  lines.push(await visibilityLine(seen, ctx));
  return lines;
}

function hostOf(ctx: HuntCheckContext): string {
  const endpoint = ctx.settings.sentinel.logsEndpoint ?? DEFAULT_LOGS_ENDPOINT;
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

function roleFix(ctx: HuntCheckContext): string {
  return `grant ${ctx.identity} Microsoft Sentinel Contributor (or Log Analytics Reader, action Microsoft.OperationalInsights/workspaces/query/read) on workspace ${ctx.target.workspaceName}; a new role assignment takes up to 10 minutes`;
}

function accessLine(failed: Extract<LogsAnswer, { ok: false }>, ctx: HuntCheckContext): HuntLine {
  const what = [failed.status ? `HTTP ${failed.status}` : undefined, failed.code, failed.message]
    .filter(Boolean)
    .join(' ');
  return failed.kind === 'denied'
    ? { id: 'logs-query', ok: false, detail: `not allowed to query the workspace: ${what}`, fix: roleFix(ctx) }
    : {
        id: 'logs-query',
        ok: false,
        detail: `${hostOf(ctx)} did not answer: ${what}`,
        fix: `allow outbound HTTPS to ${hostOf(ctx)} (LOG_ANALYTICS_ENDPOINT; README: Outbound hosts)`,
      };
}

async function huntLine(
  logs: LogsQueryRunner,
  workspaceId: string,
  q: HuntingQuery,
  ctx: HuntCheckContext,
): Promise<HuntLine> {
  const title = `Hunt ${q.table}`;
  const answer = await logs.run(workspaceId, q.query, HUNT_WINDOW, ctx.signal());
  if (answer.ok)
    return { id: 'hunts', title, ok: true, detail: `runs (${answer.rows.length} rows in the last hour): ${q.name}` };
  const what = [answer.status ? `HTTP ${answer.status}` : undefined, answer.code, answer.message]
    .filter(Boolean)
    .join(' ');
  return {
    id: 'hunts',
    title,
    ok: false,
    detail: `${q.id}: ${what}`,
    fix:
      answer.kind === 'query'
        ? 'the service refused this hunting query in this workspace: report it with this line (docs/hunting.md)'
        : answer.kind === 'denied'
          ? roleFix(ctx)
          : `allow outbound HTTPS to ${hostOf(ctx)}, or try again later`,
  };
}

type Seen = { ok: true; values: Set<string> } | Extract<LogsAnswer, { ok: false }>;

/** The values of our active indicators the hunts select, over every configured family. */
async function seenIndicators(logs: LogsQueryRunner, workspaceId: string, ctx: HuntCheckContext): Promise<Seen> {
  const values = new Set<string>();
  for (const familyId of ctx.settings.threatfox.malware) {
    const query = ourIndicatorValuesQuery({ familyId, indicatorSource: ctx.settings.sentinel.source });
    const answer = await logs.run(workspaceId, query, INDICATOR_WINDOW, ctx.signal());
    if (!answer.ok) return answer;
    for (const row of answer.rows) {
      const cell = row[0];
      const list: unknown = typeof cell === 'string' ? safeJson(cell) : cell;
      if (Array.isArray(list)) for (const v of list) if (typeof v === 'string') values.add(v.toLowerCase());
    }
  }
  return { ok: true, values };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Ours {
  value: string;
  created?: number;
}

/** Our active indicators of the configured families, as ARM lists them. */
async function oursInArm(ctx: HuntCheckContext): Promise<Ours[]> {
  const store = armIndicatorStore(ctx.clients.securityInsights, ctx.target);
  const families = new Set(ctx.settings.threatfox.malware.map((f) => `malware:${f}`));
  const now = Date.now();
  const out: Ours[] = [];
  for await (const item of store.listBySource(ctx.target.source)) {
    const p = item.properties;
    const observable = p.pattern ? parsePattern(p.pattern) : undefined;
    if (!observable || p.revoked) continue;
    if (p.validUntil && Date.parse(p.validUntil) <= now) continue;
    if (!(p.labels ?? []).some((l) => families.has(l.toLowerCase()))) continue;
    const created = p.created ? Date.parse(p.created) : NaN;
    out.push({ value: observable.value.toLowerCase(), ...(Number.isNaN(created) ? {} : { created }) });
  }
  return out;
}

/**
 * "Hunts see 20 of 26 of our indicators": the rest explained by their age. Missing ones all younger
 * than INGESTION_GRACE_MINUTES are the ingestion delay (passes, check again later); an older one
 * missing means the hunts' selection does not match how the workspace stored it (fails).
 */
async function visibilityLine(seen: Seen, ctx: HuntCheckContext): Promise<HuntLine> {
  const id = 'ti-visibility';
  if (!seen.ok)
    return {
      id,
      ok: false,
      detail: `the indicator query failed: ${[seen.code, seen.message].filter(Boolean).join(' ')}`,
      fix: 'the hunts read ThreatIntelIndicators the same way: report this line (docs/hunting.md)',
    };
  let ours: Ours[];
  try {
    ours = await oursInArm(ctx);
  } catch (e) {
    return { id, ok: false, detail: `could not list our indicators: ${errorLine(e)}`, fix: roleFix(ctx) };
  }
  const missing = ours.filter((o) => !seen.values.has(o.value));
  const head = `hunts see ${ours.length - missing.length} of ${ours.length} of our active indicators`;
  if (missing.length === 0) return { id, ok: true, detail: head };
  const graceMs = INGESTION_GRACE_MINUTES * 60_000;
  const old = missing.filter((o) => o.created === undefined || Date.now() - o.created > graceMs);
  if (old.length === 0)
    return {
      id,
      ok: true,
      detail: `${head}; the ${missing.length} others were written less than ${INGESTION_GRACE_MINUTES} minutes ago (ingestion delay): check again later`,
    };
  return {
    id,
    ok: false,
    detail: `${head}; ${old.length} missing ones are older than ${INGESTION_GRACE_MINUTES} minutes, so not the ingestion delay but a mapping problem`,
    fix: `compare ThreatIntelIndicators' SourceSystem and Data.labels with INDICATOR_SOURCE (${ctx.target.source}) and malware:<family>, e.g. ThreatIntelIndicators | where TimeGenerated > ago(1d) | take 10; see docs/hunting.md`,
  };
}
