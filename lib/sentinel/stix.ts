import type { Ioc, IocType } from '../ioc/types';

/**
 * STIX 2.1 patterns for the observables Sentinel's own TI matching understands.
 *
 * Only simple comparison expressions (`[object:path = 'value']`): Sentinel fills its observable
 * fields (NetworkIP, DomainName, Url, FileHash*) from the pattern, and a compound `AND` pattern
 * leaves them empty so the indicator never matches anything.
 */

/** The STIX object path for each IOC type. */
const OBJECT_PATHS: Record<IocType, string> = {
  ipv4: 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  domain: 'domain-name:value',
  url: 'url:value',
  md5: "file:hashes.'MD5'",
  sha1: "file:hashes.'SHA-1'",
  sha256: "file:hashes.'SHA-256'",
};

/** Sentinel's `patternType`: the STIX cyber-observable object type of the pattern. */
const PATTERN_TYPES: Record<IocType, string> = {
  ipv4: 'ipv4-addr',
  ipv6: 'ipv6-addr',
  domain: 'domain-name',
  url: 'url',
  md5: 'file',
  sha1: 'file',
  sha256: 'file',
};

export function stixPatternType(type: IocType): string {
  return PATTERN_TYPES[type];
}

/**
 * A STIX string literal. STIX 2.1 §9.2: inside single quotes, `\` and `'` MUST be escaped with
 * a backslash, and no other escape exists, so everything else (newlines, unicode) stays as is.
 */
export function stixString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export function stixPattern(ioc: Pick<Ioc, 'type' | 'value'>): string {
  return `[${OBJECT_PATHS[ioc.type]} = ${stixString(ioc.value)}]`;
}

/** Hash algorithm names as they appear in `file:hashes.X` (quoted or not), in upper case. */
const HASH_TYPES: Record<string, IocType> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  SHA1: 'sha1',
  'SHA-256': 'sha256',
  SHA256: 'sha256',
};

const SIMPLE_OBJECTS: Record<string, IocType> = {
  'ipv4-addr:value': 'ipv4',
  'ipv6-addr:value': 'ipv6',
  'domain-name:value': 'domain',
  'url:value': 'url',
};

/**
 * `[path = 'literal']` with an escaped literal; whitespace as STIX allows.
 * The literal group accepts only `\\` and `\'` escapes, as the grammar does.
 */
const SIMPLE_PATTERN = /^\s*\[\s*([^\s=]+)\s*=\s*'((?:[^'\\]|\\['\\])*)'\s*\]\s*$/s;
const HASH_PATH = /^file:hashes\.(?:'([^']+)'|"([^"]+)"|([A-Za-z0-9-]+))$/;

/**
 * Reads back a simple pattern we could have written: `{ type, value }`, or undefined for a
 * compound, unknown or malformed pattern (those are never ours, so never matched or touched).
 */
export function parsePattern(pattern: string): { type: IocType; value: string } | undefined {
  const [, path, literal] = SIMPLE_PATTERN.exec(pattern) ?? [];
  if (path === undefined || literal === undefined) return undefined;
  const value = literal.replace(/\\(['\\])/g, '$1');
  const simple = SIMPLE_OBJECTS[path.toLowerCase()];
  if (simple) return { type: simple, value };
  const hash = HASH_PATH.exec(path);
  const algorithm = hash?.[1] ?? hash?.[2] ?? hash?.[3];
  if (algorithm !== undefined) {
    const type = HASH_TYPES[algorithm.toUpperCase()];
    if (type) return { type, value };
  }
  return undefined;
}

/**
 * The identity of an indicator by observable: what makes two indicators "the same IOC".
 * Everything but URLs compares case-insensitively (URL paths are case-sensitive).
 */
export function observableKey(o: { type: IocType; value: string }): string {
  const caseless = o.type !== 'url';
  return `${o.type}|${caseless ? o.value.toLowerCase() : o.value}`;
}
