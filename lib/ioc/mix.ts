import { IOC_KINDS, iocKindOf, type Ioc, type IocKind } from './types';

const NOUNS: Record<IocKind, [singular: string, plural: string]> = {
  ip: ['IP', 'IPs'],
  domain: ['domain', 'domains'],
  url: ['URL', 'URLs'],
  sha256: ['SHA-256 hash', 'SHA-256 hashes'],
  sha1: ['SHA-1 hash', 'SHA-1 hashes'],
  md5: ['MD5 hash', 'MD5 hashes'],
};
/** "1 IP", "7 domains": a count with its noun. */
export function countOf(n: number, kind: IocKind): string {
  return `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;
}

/** "3 IPs, 7 domains, 2 URLs": the IOC mix of one query, in a fixed order. */
export function describeIocMix(iocs: readonly Pick<Ioc, 'type'>[]): string {
  const counts = new Map<IocKind, number>();
  for (const { type } of iocs) counts.set(iocKindOf(type), (counts.get(iocKindOf(type)) ?? 0) + 1);
  return describeKindCounts(counts);
}

/** `describeIocMix` from counts already made: the kinds counted, in the fixed order. */
export function describeKindCounts(counts: ReadonlyMap<IocKind, number>): string {
  return IOC_KINDS.filter((k) => counts.has(k))
    .map((k) => countOf(counts.get(k)!, k))
    .join(', ');
}
