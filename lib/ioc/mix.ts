import type { Ioc, IocType } from './types';

/** What IOCs are counted as: IPv4 and IPv6 are both "IPs". */
export type CountedKind = 'ip' | 'domain' | 'url' | 'sha256' | 'sha1' | 'md5';

const NOUNS: Record<CountedKind, [singular: string, plural: string]> = {
  ip: ['IP', 'IPs'],
  domain: ['domain', 'domains'],
  url: ['URL', 'URLs'],
  sha256: ['SHA-256 hash', 'SHA-256 hashes'],
  sha1: ['SHA-1 hash', 'SHA-1 hashes'],
  md5: ['MD5 hash', 'MD5 hashes'],
};
const MIX_ORDER: CountedKind[] = ['ip', 'domain', 'url', 'sha256', 'sha1', 'md5'];

/** "1 IP", "7 domains": a count with its noun. */
export function countOf(n: number, kind: CountedKind): string {
  return `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;
}

const countedKind = (type: IocType): CountedKind => (type === 'ipv4' || type === 'ipv6' ? 'ip' : type);

/** "3 IPs, 7 domains, 2 URLs": the IOC mix of one query, in a fixed order. */
export function describeIocMix(iocs: readonly Pick<Ioc, 'type'>[]): string {
  const counts = new Map<CountedKind, number>();
  for (const { type } of iocs) counts.set(countedKind(type), (counts.get(countedKind(type)) ?? 0) + 1);
  return MIX_ORDER.filter((k) => counts.has(k))
    .map((k) => countOf(counts.get(k)!, k))
    .join(', ');
}
