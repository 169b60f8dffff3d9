/** The inline form's parts: a family's IOCs for one table, split where a query would pass its limits. */
import { describeIocMix } from '../ioc/mix';
import type { Ioc } from '../ioc/types';
import type { QueryContext, TableHunt } from './queries/common';
import { inlineSource, MAX_HAS_ANY } from './source';

/** What an inline query is built with: the table builder's context. */
export type InlineContext = QueryContext;

export function buildInline(hunt: TableHunt, iocs: readonly Ioc[], ctx: InlineContext): string {
  return inlineQuery(hunt, iocs, ctx).text;
}

function inlineQuery(hunt: TableHunt, iocs: readonly Ioc[], ctx: InlineContext) {
  const source = inlineSource(iocs, { kinds: hunt.kinds, iocMix: describeIocMix(iocs) });
  return { text: hunt.build(source, ctx), longestList: source.longestList };
}

/** Whether a query for these IOCs is within `max` characters and MAX_HAS_ANY values per list. */
function withinLimits(hunt: TableHunt, iocs: readonly Ioc[], ctx: InlineContext, max: number): boolean {
  const q = inlineQuery(hunt, iocs, ctx);
  return q.text.length <= max && q.longestList <= MAX_HAS_ANY;
}

/**
 * Whether all the IOCs fit one unlabelled query. Prefixes of doubling size are built until one is
 * over `max`, rather than the query for all of them: for 100k IOCs that would be megabytes of
 * text per table only to learn it does not fit. (A query grows with its IOCs, as split assumes.)
 */
function fitsWhole(hunt: TableHunt, iocs: readonly Ioc[], ctx: InlineContext, max: number): boolean {
  for (let n = Math.min(iocs.length, 64); ; n = Math.min(iocs.length, n * 2)) {
    if (!withinLimits(hunt, iocs.slice(0, n), ctx, max)) return false;
    if (n === iocs.length) return true;
  }
}

/**
 * Splits sorted IOCs into consecutive runs whose query fits `max`. Greedy from the front, so
 * growing a family rewrites only its last part. A single IOC that alone exceeds the limit still
 * gets a part of its own: dropping it silently would be worse than an oversize query. Each part's
 * search starts from the size of the one before (parts of a table hold about as many IOCs), which
 * builds a few trial queries per part instead of a dozen.
 */
export function splitIocs(hunt: TableHunt, iocs: readonly Ioc[], ctx: InlineContext, max: number): Ioc[][] {
  if (fitsWhole(hunt, iocs, ctx, max)) return [iocs.slice()];
  // Measure with the widest part label we could print, so renumbering cannot push a part over.
  const probe: InlineContext = { ...ctx, part: { index: 9999, of: 9999 } };
  const fits = (from: number, count: number) => withinLimits(hunt, iocs.slice(from, from + count), probe, max);
  const parts: Ioc[][] = [];
  let start = 0;
  let guess = 1;
  while (start < iocs.length) {
    const left = iocs.length - start;
    // Gallop from the last part's size to a bracket: lo fits (or is 0), hi does not (or is past the end).
    let lo = 0;
    let hi = left + 1;
    let size = Math.min(guess, left);
    if (fits(start, size)) {
      lo = size;
      for (let step = 1; lo < left; step *= 2) {
        size = Math.min(lo + step, left);
        if (!fits(start, size)) {
          hi = size;
          break;
        }
        lo = size;
      }
    } else {
      hi = size;
      for (let step = 1; hi > 1; step *= 2) {
        size = Math.max(hi - step, 1);
        if (fits(start, size)) {
          lo = size;
          break;
        }
        hi = size;
      }
    }
    // Binary search between the last size that fit and the first that did not.
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(start, mid)) lo = mid;
      else hi = mid;
    }
    const take = Math.max(lo, 1);
    parts.push(iocs.slice(start, start + take));
    start += take;
    guess = take;
  }
  return parts;
}
