/** Plain code-unit order: the same on every machine, unlike localeCompare. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Each value once, in code-unit order. */
export function sortedUnique(values: Iterable<string>): string[] {
  // The default sort of strings is code-unit order too (byCodeUnit's), without a call per comparison.
  return [...new Set(values)].sort();
}
