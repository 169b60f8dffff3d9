import type { Ioc, IocType } from './types';

const TYPE_LABELS: Record<IocType, [singular: string, plural: string]> = {
  ipv4: ['IP', 'IPs'],
  ipv6: ['IP', 'IPs'],
  domain: ['domain', 'domains'],
  url: ['URL', 'URLs'],
  sha256: ['SHA-256 hash', 'SHA-256 hashes'],
  sha1: ['SHA-1 hash', 'SHA-1 hashes'],
  md5: ['MD5 hash', 'MD5 hashes'],
};
const MIX_ORDER: IocType[] = ['ipv4', 'domain', 'url', 'sha256', 'sha1', 'md5'];

/** "3 IPs, 7 domains, 2 URLs": the IOC mix of one query, in a fixed order. */
export function describeIocMix(iocs: readonly Pick<Ioc, 'type'>[]): string {
  const counts = new Map<IocType, number>();
  for (const { type } of iocs) {
    const key = type === 'ipv6' ? 'ipv4' : type;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return MIX_ORDER.filter((t) => counts.has(t))
    .map((t) => {
      const n = counts.get(t)!;
      return `${n} ${TYPE_LABELS[t][n === 1 ? 0 : 1]}`;
    })
    .join(', ');
}
