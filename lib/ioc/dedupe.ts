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
  // Keys, not entries: no [key, value] pair per field (this runs several times per IOC read).
  const out: Record<string, unknown> = {};
  const fields = o as Record<string, unknown>;
  for (const k of Object.keys(fields)) if (fields[k] !== undefined) out[k] = fields[k];
  return out as T;
}

/**
 * One IOC per type + value + port + malware family, in order of first appearance. Metadata is
 * merged: earliest firstSeen, latest lastSeen, highest confidence, union of tags; for every other
 * field (threatfoxId, reference, malwarePrintable, ...) the first occurrence that has it wins.
 * Inputs are not mutated.
 */
export function dedupeIocs(iocs: Ioc[]): Ioc[] {
  const deduper = new IocDeduper();
  for (const ioc of iocs) deduper.add(ioc);
  return deduper.iocs();
}

/** Fields whose values repeat across a feed's IOCs (family, threat type, dates, reporter): kept once. */
const SHARED_FIELDS = new Set([
  'malware',
  'malwarePrintable',
  'threatType',
  'threatTypeDesc',
  'firstSeen',
  'lastSeen',
  'reporter',
]);

/**
 * dedupeIocs for IOCs that arrive in batches (a big document read a chunk at a time): the same
 * result as dedupeIocs over all of them, without holding every IOC twice. Repeated metadata
 * strings are stored once: 100k IOCs of one family otherwise carry 100k copies of each.
 */
export class IocDeduper {
  /**
   * Index into `kept` by type + port + family, then by value: the IOC's own value string is the
   * inner key, so 100k IOCs cost no 100k dedupeKey strings (about 10 MB) while they are read.
   */
  private readonly byGroup = new Map<string, Map<string, number>>();
  private readonly kept: Ioc[] = [];
  private readonly strings = new Map<string, string>();

  add(ioc: Ioc): void {
    const group = `${ioc.type}\u0000${ioc.port ?? ''}\u0000${ioc.malware ?? ''}`;
    let byValue = this.byGroup.get(group);
    if (!byValue) this.byGroup.set(group, (byValue = new Map<string, number>()));
    const at = byValue.get(ioc.value);
    const earlier = at === undefined ? undefined : this.kept[at];
    if (at !== undefined && earlier !== undefined) {
      this.kept[at] = merge(earlier, ioc);
      return;
    }
    const copy = this.shared(stripUndefined({ ...ioc, tags: ioc.tags && [...ioc.tags] }));
    byValue.set(copy.value, this.kept.push(copy) - 1);
  }

  iocs(): Ioc[] {
    return [...this.kept];
  }

  private shared(ioc: Ioc): Ioc {
    const fields = ioc as unknown as Record<string, unknown>;
    for (const k of Object.keys(fields)) {
      const v = fields[k];
      if (typeof v === 'string' && SHARED_FIELDS.has(k)) fields[k] = this.once(v);
    }
    if (ioc.tags) ioc.tags = ioc.tags.map((t) => this.once(t));
    return ioc;
  }

  private once(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }
}
