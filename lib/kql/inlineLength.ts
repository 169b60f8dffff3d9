import { describeKindCounts } from '../ioc/mix';
import { iocKindOf, type Ioc, type IocKind } from '../ioc/types';
import { HuntValueSet, ipForms, type HuntValueAdded } from './huntValues';
import { kqlStringLength } from './literal';
import type { QueryContext, TableHunt } from './queries/common';
import {
  inlineForm,
  inlineHeaderLine,
  inlineLetsLength,
  longestList,
  type InlineListChars,
  type IocSource,
  type ListName,
} from './source';

/** The text of a query apart from its lists and header line, and where those go. */
interface Skeleton {
  length: number;
  /** The names of each `lets` call the builder made. */
  lets: (readonly ListName[])[];
  headerLines: number;
}

const KINDS: readonly IocKind[] = ['ip', 'domain', 'url', 'sha256', 'sha1', 'md5'];

/**
 * The length an inline query for a run of IOCs would have (and its longest has_any list), counted
 * as IOCs are added one by one rather than by writing the query: the split measures many runs of
 * one table's IOCs, and writing each would cost a sort, an escape and a concatenation per value
 * every time. What varies with the IOCs is only the lists and the header line: the rest of the
 * text depends on which kinds there are, so the builder writes it once per set of kinds (with the
 * lists and header left empty) and those lengths are added to it. Exactly `buildInline`'s length:
 * test/kql/inlineLength.test.ts holds them equal.
 */
export class InlineQueryLength {
  private values!: HuntValueSet;
  private chars!: InlineListChars;
  /** Per hunted URL host: its `"host": [urls]` entry's characters. */
  private hostEntries!: Map<string, number>;
  private mix!: Map<IocKind, number>;
  private added = 0;
  private readonly skeletons = new Map<string, Skeleton>();

  constructor(
    private readonly hunt: TableHunt,
    private readonly ctx: QueryContext,
  ) {
    this.reset();
  }

  /** IOCs added since the last reset. */
  get count(): number {
    return this.added;
  }

  reset(): void {
    const none = () => ({ count: 0, chars: 0 });
    this.chars = {
      ipForms: none(),
      ipPorts: none(),
      hostSources: none(),
      domains: none(),
      urls: none(),
      hosts: none(),
      sha256: none(),
      sha1: none(),
      md5: none(),
    };
    this.hostEntries = new Map();
    this.mix = new Map();
    this.added = 0;
    this.values = new HuntValueSet((event) => this.tally(event));
  }

  add(ioc: Ioc): void {
    this.values.add(ioc);
    const kind = iocKindOf(ioc.type);
    this.mix.set(kind, (this.mix.get(kind) ?? 0) + 1);
    this.added += 1;
  }

  /** The query's length, and its longest has_any list, for the IOCs added. */
  measure(): { length: number; longestList: number } {
    const v = this.values;
    const counts: Record<IocKind, number> = {
      ip: v.ips.size,
      domain: v.domains.size,
      url: v.urls.size,
      sha256: v.hashes.sha256.size,
      sha1: v.hashes.sha1.size,
      md5: v.hashes.md5.size,
    };
    const skeleton = this.skeleton(counts);
    const header = inlineHeaderLine(describeKindCounts(this.mix), this.hunt.kinds, counts).length;
    const lets = skeleton.lets.reduce((sum, names) => sum + inlineLetsLength(names, this.chars), 0);
    return {
      length: skeleton.length + skeleton.headerLines * header + lets,
      longestList: longestList(v.hosts.size, v.domains.size, v.ips.size),
    };
  }

  private skeleton(counts: Record<IocKind, number>): Skeleton {
    const key = KINDS.map((k) => (counts[k] > 0 ? '1' : '0')).join('');
    let skeleton = this.skeletons.get(key);
    if (!skeleton) {
      const lets: (readonly ListName[])[] = [];
      let headerLines = 0;
      const source: IocSource = {
        ...inlineForm((kind) => counts[kind] > 0),
        lets: (names) => {
          lets.push(names);
          return '';
        },
        headerLine: () => {
          headerLines += 1;
          return '';
        },
      };
      skeleton = { length: this.hunt.build(source, this.ctx).length, lets, headerLines };
      this.skeletons.set(key, skeleton);
    }
    return skeleton;
  }

  /** What a new value adds to its list's characters (the entries `inlineLets` writes). */
  private tally(e: HuntValueAdded): void {
    const c = this.chars;
    const grow = (l: { count: number; chars: number }, chars: number) => {
      l.count += 1;
      l.chars += chars;
    };
    switch (e.list) {
      case 'ip': {
        const ip = kqlStringLength(e.ip);
        for (const form of ipForms(e.ip)) grow(c.ipForms, kqlStringLength(form) + ': '.length + ip);
        grow(c.ipPorts, ip + ': []'.length);
        break;
      }
      case 'port':
        // `[443]`, then `, 8443` for each further port.
        c.ipPorts.chars += String(e.port).length + (this.values.ips.get(e.ip)!.size > 1 ? 2 : 0);
        break;
      case 'domain':
        grow(c.domains, kqlStringLength(e.value));
        break;
      case 'url':
        grow(c.urls, kqlStringLength(e.value));
        break;
      case 'host':
        grow(c.hosts, kqlStringLength(e.value));
        break;
      case 'sha256':
      case 'sha1':
      case 'md5':
        grow(c[e.list], kqlStringLength(e.value));
        break;
      case 'hostSource': {
        const before = this.hostEntries.get(e.host);
        const entry =
          before === undefined
            ? kqlStringLength(e.host) + ': []'.length + kqlStringLength(e.url)
            : before + 2 + kqlStringLength(e.url);
        this.hostEntries.set(e.host, entry);
        if (this.values.ownHosts.has(e.host)) break;
        if (before === undefined) grow(c.hostSources, entry);
        else c.hostSources.chars += entry - before;
        break;
      }
      case 'ownHost': {
        // A host that is an IOC of its own loses its URLs' entry.
        const entry = this.hostEntries.get(e.host);
        if (entry === undefined) break;
        c.hostSources.count -= 1;
        c.hostSources.chars -= entry;
      }
    }
  }
}
