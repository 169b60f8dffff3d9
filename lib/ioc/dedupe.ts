import type { Ioc } from './types';

/**
 * Identity of an IOC: the same address on two ports is two IOCs, and so is the same address
 * reported under two families (each family's hunting queries and run state need their own copy;
 * the indicator mapper merges them back into one indicator labelled with both).
 */
export function dedupeKey(ioc: Pick<Ioc, 'type' | 'value' | 'port' | 'malware'>): string {
  return `${ioc.type}\u0000${ioc.value}\u0000${ioc.port ?? ''}\u0000${ioc.malware ?? ''}`;
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

function earliest(a?: string, b?: string): string | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return time(b) < time(a) ? b : a;
}

function latest(a?: string, b?: string): string | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  // An unparseable date never wins over a real one.
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(tb)) return a;
  return Number.isNaN(ta) || tb > ta ? b : a;
}

/** Union of tags in first-seen order; `RAT` and `rat` are one tag, spelled as first seen. */
function unionTags(a?: string[], b?: string[]): string[] | undefined {
  if (!a?.length && !b?.length) return a ?? b;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of [...(a ?? []), ...(b ?? [])]) {
    const k = t.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(t);
    }
  }
  return out;
}

function merge(into: Ioc, other: Ioc): Ioc {
  const merged: Ioc = { ...other, ...stripUndefined(into) };
  const firstSeen = earliest(into.firstSeen, other.firstSeen);
  const lastSeen = latest(into.lastSeen, other.lastSeen);
  const confidence =
    into.confidence === undefined || other.confidence === undefined
      ? (into.confidence ?? other.confidence)
      : Math.max(into.confidence, other.confidence);
  const tags = unionTags(into.tags, other.tags);
  return stripUndefined({ ...merged, firstSeen, lastSeen, confidence, tags });
}

export function stripUndefined<T extends object>(o: T): T {
  // Assigned one by one, not Object.fromEntries: that builds dictionary-mode objects, several times
  // the size (and slower to copy) than a plain one.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * One IOC per type + value + port + malware family, in order of first appearance. Metadata is
 * merged: earliest firstSeen, latest lastSeen, highest confidence, union of tags; for every other
 * field (threatfoxId, reference, malwarePrintable, ...) the first occurrence that has it wins.
 * Inputs are not mutated.
 */
export function dedupeIocs(iocs: Ioc[]): Ioc[] {
  const byKey = new Map<string, Ioc>();
  for (const ioc of iocs) {
    const key = dedupeKey(ioc);
    const seen = byKey.get(key);
    byKey.set(key, seen ? merge(seen, ioc) : stripUndefined({ ...ioc, tags: ioc.tags && [...ioc.tags] }));
  }
  return [...byKey.values()];
}
