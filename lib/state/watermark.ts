import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { sleep } from '../net/sleep';
import { statusOf } from '../net/status';
import type { PullWindow } from '../threatfox/pullWindow';
import { safeRowKey } from './rowKey';

/**
 * Per family, the time of the last successful pull, so the timer catches up after missed runs, and
 * of the last full pull (`malwareinfo`), which the timer repeats daily: `get_iocs` only returns IOCs
 * *first* seen in its window, so the full pull is what brings newer last-seen dates (validity is
 * extended) and re-sends anything that did not land. Store the time the pull *started* (the API is
 * asked for "the last N days" as of then).
 */

export const WATERMARK_PARTITION = 'watermark';
export const FULL_PULL_PARTITION = 'fullpull';
export type WatermarkKind = 'pull' | 'fullPull';
const partitionOf = (kind: WatermarkKind) => (kind === 'pull' ? WATERMARK_PARTITION : FULL_PULL_PARTITION);

/** How often the timer pulls each family in full. */
export const FULL_PULL_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** ThreatFox `get_iocs` answers for at most this many days back. */
export const THREATFOX_MAX_DAYS = 7;

/** Pulls overlap the previous one by this much: clock skew and IOCs published late. Re-sent IOCs are cheap (dedupe). */
export const PULL_OVERLAP_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

interface WatermarkEntity {
  partitionKey: string;
  rowKey: string;
  family: string;
  lastSuccess: string;
}

const isoInstant = z.iso.datetime({ offset: true });

function toIso(isoTime: string): string {
  const parsed = isoInstant.safeParse(isoTime);
  if (!parsed.success) throw new RangeError(`Watermark must be an ISO 8601 time (got "${isoTime}")`);
  return new Date(isoTime).toISOString();
}

/** The last successful pull of `family` (ISO, UTC), or undefined when it never ran. */
export async function getWatermark(
  table: TableClient,
  family: string,
  kind: WatermarkKind = 'pull',
): Promise<string | undefined> {
  try {
    const entity = await table.getEntity<WatermarkEntity>(partitionOf(kind), safeRowKey(family));
    return typeof entity.lastSuccess === 'string' && isoInstant.safeParse(entity.lastSuccess).success
      ? entity.lastSuccess
      : undefined;
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/**
 * Moves the watermark forward to `isoTime`; an older time is ignored (a slow run finishing after a
 * newer one must not rewind it). Concurrent writers are serialised with ETags. Returns the value stored.
 */
export async function setWatermark(
  table: TableClient,
  family: string,
  isoTime: string,
  kind: WatermarkKind = 'pull',
): Promise<string> {
  const next = toIso(isoTime);
  const rowKey = safeRowKey(family);
  const partitionKey = partitionOf(kind);
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) await sleep(Math.random() * 50 * attempt);
    let current: (WatermarkEntity & { etag: string }) | undefined;
    try {
      current = await table.getEntity<WatermarkEntity>(partitionKey, rowKey);
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const entity: WatermarkEntity = { partitionKey, rowKey, family, lastSuccess: next };
    try {
      if (!current) {
        await table.createEntity(entity);
        return next;
      }
      const stored = Date.parse(current.lastSuccess);
      if (!Number.isNaN(stored) && stored >= Date.parse(next)) return current.lastSuccess;
      await table.updateEntity(entity, 'Replace', { etag: current.etag });
      return next;
    } catch (e) {
      // 409: someone created it first; 412: someone changed it since we read it. Read again.
      if (statusOf(e) === 409 || statusOf(e) === 412) continue;
      throw e;
    }
  }
  throw new Error(`setWatermark: gave up after repeated concurrent updates of "${family}"`);
}

/**
 * What to ask ThreatFox for: the days since the watermark (rounded up, with a small overlap,
 * at least 1), or a full pull by family (`malwareinfo`) when there is no watermark or the gap is
 * longer than `get_iocs` can reach.
 */
export function pullWindow(watermark: string | undefined, now: Date, maxDays = THREATFOX_MAX_DAYS): PullWindow {
  if (!watermark) return { mode: 'full' };
  const last = Date.parse(watermark);
  if (Number.isNaN(last)) return { mode: 'full' };
  const gapMs = Math.max(0, now.getTime() - last);
  if (gapMs > maxDays * DAY_MS) return { mode: 'full' };
  // The overlap may not push a reachable gap past what get_iocs allows.
  return { mode: 'recent', days: Math.min(maxDays, Math.max(1, Math.ceil((gapMs + PULL_OVERLAP_MS) / DAY_MS))) };
}

/** A full pull is due when there never was one or the last is older than the interval. */
export function fullPullDue(lastFullPull: string | undefined, now: Date, intervalMs = FULL_PULL_INTERVAL_MS): boolean {
  const last = lastFullPull ? Date.parse(lastFullPull) : Number.NaN;
  return Number.isNaN(last) || now.getTime() - last >= intervalMs;
}
