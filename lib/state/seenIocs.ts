import { createHash } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { Ioc } from '../ioc/types';

/**
 * What has already landed in Sentinel, per family, as a fingerprint of the fields we write.
 * The timer enqueues only IOCs that are new or changed since they landed, so a run with nothing new
 * enqueues nothing; the queue function marks a batch as landed only after Sentinel accepted it, so
 * a batch lost on the way is sent again by the next pull.
 */
const partitionOf = (family: string) => `seen-${family.replace(/[^A-Za-z0-9._-]/g, '_')}`;

/** The seen-table RowKey of an IOC: a hash of type, value and port (one row per IOC within a family). */
export const seenRowKey = (ioc: Pick<Ioc, 'type' | 'value' | 'port'>) =>
  createHash('sha256')
    .update(`${ioc.type}|${ioc.value}|${ioc.port ?? ''}`)
    .digest('hex');

/** Changes to any of these change the indicator we would write. */
export function iocFingerprint(ioc: Ioc): string {
  const { threatType, confidence, firstSeen, lastSeen, tags, malware, reference } = ioc;
  return createHash('sha256')
    .update(JSON.stringify([threatType, confidence, firstSeen, lastSeen, [...(tags ?? [])].sort(), malware, reference]))
    .digest('hex');
}

type SeenEntity = {
  partitionKey: string;
  rowKey: string;
  fingerprint: string;
  /** ISO 8601: until when the indicator it landed in is valid (last or first seen + INDICATOR_TTL_DAYS). */
  validUntil?: string;
  /** The `landedKey`s of the workspaces it landed in, space-separated (rows written before this have none). */
  landedIn?: string;
};

/**
 * A workspace's key in `landedIn`: a short hash of its resource id and INDICATOR_SOURCE, so a new
 * workspace, a re-created one's fresh start or a new source is a new key. 16 hex digits keep a row
 * far below Table storage's 64 KiB string limit even with hundreds of workspaces.
 */
export const landedKey = (workspaceId: string, source: string) =>
  createHash('sha256').update(`${workspaceId.toLowerCase()}|${source}`).digest('hex').slice(0, 16);

const keysOf = (landedIn: string | undefined) => new Set((landedIn ?? '').split(' ').filter(Boolean));

const DAY_MS = 24 * 60 * 60 * 1000;

/** Until when the indicator an IOC lands in is valid; undefined for an undated IOC (a pasted list). */
function validUntil(ioc: Ioc, ttlDays: number): string | undefined {
  const seen = Date.parse(ioc.lastSeen ?? ioc.firstSeen ?? '');
  return Number.isNaN(seen) ? undefined : new Date(seen + ttlDays * DAY_MS).toISOString();
}

/**
 * Of these IOCs, those that landed before and whose indicator would still be valid at `now`, each
 * with the `landedKey`s of the workspaces it landed in. Such an IOC missing from one of those
 * workspaces was deleted there by someone else (an analyst): the writer does not create it again
 * there (`SyncIndicatorsOptions.landedBefore`). A row written before per-workspace records (no
 * `landedIn`) or without `validUntil` is left out: its IOC is created again if missing (the safe side).
 */
export async function landedAndValid(
  table: TableClient,
  family: string,
  iocs: Ioc[],
  now: Date,
): Promise<Map<string, Set<string>>> {
  const landed = new Map<string, Set<string>>();
  if (iocs.length === 0) return landed;
  const wanted = new Set(iocs.map(seenRowKey));
  const pages = table.listEntities<SeenEntity>({
    queryOptions: { filter: `PartitionKey eq '${partitionOf(family)}'`, select: ['rowKey', 'validUntil', 'landedIn'] },
  });
  for await (const e of pages) {
    const until = e.validUntil ? Date.parse(e.validUntil) : Number.NaN;
    const keys = keysOf(e.landedIn);
    if (wanted.has(e.rowKey) && until > now.getTime() && keys.size > 0) landed.set(e.rowKey, keys);
  }
  return landed;
}

/**
 * The IOCs new or changed since they landed, and those not yet landed in every one of `landedKeys`
 * (the configured workspaces' `landedKey`s): a workspace added later, or a new INDICATOR_SOURCE,
 * gets every IOC the next pull carries. A row without `landedIn` (written before it existed) is sent
 * once more, after which it has one.
 */
export async function filterNewOrChanged(
  table: TableClient,
  family: string,
  iocs: Ioc[],
  landedKeys: readonly string[] = [],
): Promise<Ioc[]> {
  if (iocs.length === 0) return [];
  const partitionKey = partitionOf(family);
  const landed = new Set<string>();
  const pages = table.listEntities<SeenEntity>({
    queryOptions: { filter: `PartitionKey eq '${partitionKey}'`, select: ['rowKey', 'fingerprint', 'landedIn'] },
  });
  for await (const e of pages) {
    const keys = keysOf(e.landedIn);
    if (landedKeys.every((k) => keys.has(k))) landed.add(`${e.rowKey}|${e.fingerprint}`);
  }
  return iocs.filter((ioc) => !landed.has(`${seenRowKey(ioc)}|${iocFingerprint(ioc)}`));
}

/** Entity group transactions take at most 100 entities of one partition. */
const TRANSACTION_LIMIT = 100;

/** The `landedIn` of each row of the family that has one. */
async function landedInByRow(table: TableClient, partitionKey: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const pages = table.listEntities<SeenEntity>({
    queryOptions: { filter: `PartitionKey eq '${partitionKey}'`, select: ['rowKey', 'landedIn'] },
  });
  for await (const e of pages) if (e.landedIn) found.set(e.rowKey, e.landedIn);
  return found;
}

/**
 * Marks the IOCs landed in the workspaces `workspaceKeys` (`landedKey`), added to where they landed
 * before. `ttlDays` (INDICATOR_TTL_DAYS) records until when each indicator is valid, for `landedAndValid`.
 */
export async function markLanded(
  table: TableClient,
  family: string,
  iocs: Ioc[],
  ttlDays?: number,
  workspaceKeys: readonly string[] = [],
): Promise<void> {
  const partitionKey = partitionOf(family);
  const before = workspaceKeys.length > 0 ? await landedInByRow(table, partitionKey) : new Map<string, string>();
  const unique = new Map<string, SeenEntity>();
  for (const ioc of iocs) {
    const rowKey = seenRowKey(ioc);
    const until = ttlDays === undefined ? undefined : validUntil(ioc, ttlDays);
    const keys = [...new Set([...keysOf(before.get(rowKey)), ...workspaceKeys])].join(' ');
    unique.set(rowKey, {
      partitionKey,
      rowKey,
      fingerprint: iocFingerprint(ioc),
      ...(until ? { validUntil: until } : {}),
      ...(keys ? { landedIn: keys } : {}),
    });
  }
  const entities = [...unique.values()];
  for (let i = 0; i < entities.length; i += TRANSACTION_LIMIT) {
    const actions: TransactionAction[] = entities.slice(i, i + TRANSACTION_LIMIT).map((e) => ['upsert', e, 'Replace']);
    await table.submitTransaction(actions);
  }
}
