/** The inline form's parts: a family's IOCs for one table, split where a query would pass its limits. */
import { describeIocMix } from '../ioc/mix';
import type { Ioc } from '../ioc/types';
import type { QueryContext, TableHunt } from './queries/common';
import { InlineQueryLength } from './inlineLength';
import { inlineSource, MAX_HAS_ANY } from './source';

/** The inline query of these IOCs for one table, written out. */
export function buildInline(hunt: TableHunt, iocs: readonly Ioc[], ctx: QueryContext): string {
  return hunt.build(inlineSource(iocs, { kinds: hunt.kinds, iocMix: describeIocMix(iocs) }), ctx);
}

interface Measure {
  /** IOCs from the part's start. */
  count: number;
  /** The query's length in characters. */
  length: number;
  fits: boolean;
}

/** Measures a run of `count` IOCs from `start`. */
type Measurer = (start: number, count: number) => Measure;

/**
 * Measures runs of `iocs` without writing their queries (InlineQueryLength): a run that grows from
 * the same start only adds its new IOCs to the count; a shorter one, or another start, starts over.
 */
function measurer(hunt: TableHunt, iocs: readonly Ioc[], ctx: QueryContext, max: number): Measurer {
  const counter = new InlineQueryLength(hunt, ctx);
  let from = 0;
  return (start, count) => {
    if (start !== from || count < counter.count) {
      counter.reset();
      from = start;
    }
    for (const ioc of iocs.slice(start + counter.count, start + count)) counter.add(ioc);
    const m = counter.measure();
    return { count, length: m.length, fits: m.length <= max && m.longestList <= MAX_HAS_ANY };
  };
}

/**
 * Whether all the IOCs fit one unlabelled query. Prefixes of doubling size are measured until one
 * is over `max`, rather than all of them at once: for 100k IOCs that would count every value of
 * the table only to learn it does not fit. (A query grows with its IOCs, as split assumes.)
 * The last two prefixes measured give the split its first length model.
 */
function fitsWhole(
  total: number,
  measure: Measurer,
  weightOf: (count: number) => number,
): { fits: boolean; model?: LengthModel } {
  let before: Measure | undefined;
  for (let n = Math.min(total, 64); ; n = Math.min(total, n * 2)) {
    const m = measure(0, n);
    if (!m.fits || n === total) return { fits: m.fits, model: before && fitModel(before, m, weightOf) };
    before = m;
  }
}

/**
 * A query's length grows about linearly with the characters of its IOCs' values; `weight` is that
 * estimate, summed from the front (`weight[i]`: the IOCs before i). It only steers which sizes are
 * built and measured: every part is still the longest run that measures within the limits.
 */
function prefixWeights(iocs: readonly Ioc[]): (index: number) => number {
  const weight = new Float64Array(iocs.length + 1);
  // A value, its quotes and separator, and the host or IP forms a URL or an IP adds beside it.
  iocs.forEach((ioc, i) => (weight[i + 1] = (weight[i] ?? 0) + ioc.value.length + 8));
  return (index) => weight[index] ?? 0;
}

/** Query length per unit of weight, and the length at no IOCs, from two measures of one start. */
interface LengthModel {
  perWeight: number;
  base: number;
}

function fitModel(a: Measure, b: Measure, weightOf: (count: number) => number): LengthModel | undefined {
  const dw = weightOf(b.count) - weightOf(a.count);
  if (dw <= 0) return undefined;
  const perWeight = (b.length - a.length) / dw;
  if (!(perWeight > 0)) return undefined;
  return { perWeight, base: b.length - perWeight * weightOf(b.count) };
}

/** Model steps per part before plain bisection takes over (the has_any cap, not length, may bind). */
const MODEL_STEPS = 4;

/**
 * Splits sorted IOCs into consecutive runs whose query fits `max`. Greedy from the front, so
 * growing a family rewrites only its last part. A single IOC that alone exceeds the limit still
 * gets a part of its own: dropping it silently would be worse than an oversize query. Each part is
 * the longest run that fits, its length counted without writing it (InlineQueryLength); a linear
 * model of query length over the IOCs' characters, refitted from every measure, picks the sizes
 * to count, so a part takes two or three measures, mostly of IOCs already counted.
 */
export function splitIocs(hunt: TableHunt, iocs: readonly Ioc[], ctx: QueryContext, max: number): Ioc[][] {
  const weight = prefixWeights(iocs);
  const whole = fitsWhole(iocs.length, measurer(hunt, iocs, ctx, max), weight);
  if (whole.fits) return [iocs.slice()];
  let model = whole.model;
  // Measure with the widest part label we could print, so renumbering cannot push a part over.
  const measure = measurer(hunt, iocs, { ...ctx, part: { index: 9999, of: 9999 } }, max);
  const parts: Ioc[][] = [];
  let start = 0;
  while (start < iocs.length) {
    const left = iocs.length - start;
    const weightOf = (count: number) => weight(start + count) - weight(start);
    // The largest count the model expects to fit, or undefined without a model.
    const predict = (m: LengthModel | undefined) => {
      if (!m) return undefined;
      const room = (max - m.base) / m.perWeight;
      let lo = 0;
      let hi = left;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (weightOf(mid) <= room) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    // lo fits (or is 0), hi does not (or is past the end).
    let lo = 0;
    let hi = left + 1;
    let last: Measure | undefined;
    let steps = 0;
    while (hi - lo > 1) {
      const guess = steps < MODEL_STEPS ? predict(model) : undefined;
      const size = guess === undefined ? (lo + hi) >> 1 : Math.min(Math.max(guess, lo + 1), hi - 1);
      const m = measure(start, size);
      if (m.fits) lo = size;
      else hi = size;
      model = (last && fitModel(last.count < m.count ? last : m, last.count < m.count ? m : last, weightOf)) ?? model;
      // Without a second measure yet, keep the slope and move the base through this one.
      if (!last && model) model = { perWeight: model.perWeight, base: m.length - model.perWeight * weightOf(m.count) };
      last = m;
      steps++;
    }
    const take = Math.max(lo, 1);
    parts.push(iocs.slice(start, start + take));
    start += take;
  }
  return parts;
}
