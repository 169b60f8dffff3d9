/**
 * Validation and canonical forms for the host part of an IOC: IPv4, IPv6 and domain names.
 * Every function returns a result instead of throwing: IOC values are hostile input.
 */
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';

export type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Check<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Check<T> => ({ ok: false, reason });

export interface IpValue {
  type: 'ipv4' | 'ipv6';
  value: string;
}

/**
 * Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned code points,
 * plus every kind of whitespace or separator: never part of an IOC, and dangerous in a report.
 */
const INVISIBLE_OR_SPACE = /[\p{C}\p{Z}\s]/u;

/** Names a character for a rejection reason, readable even when it is invisible. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return INVISIBLE_OR_SPACE.test(ch) ? hex : `"${ch}" (${hex})`;
}

/** Rejects whitespace and invisible characters anywhere in a value. */
export function checkVisible(value: string): Check<string> {
  const m = INVISIBLE_OR_SPACE.exec(value);
  return m ? fail(`contains whitespace or an invisible/control character (${describeChar(m[0])})`) : ok(value);
}

/*
 * Address ranges that can never be a remote C2 or download host (loopback, private, documentation,
 * ...) are not refused here: the syntax check stays pure, and lib/ioc/benign.ts refuses them (with
 * public resolvers, popular domains and empty-file hashes) after normalisation, so every refusal of
 * a well-formed but benign value is counted by kind.
 */

/** Looks like an IPv4 address in some form (dotted, shorthand, hex, octal, integer). */
const IPV4_LIKE = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}\.?$/i;

export function looksLikeIpv4(value: string): boolean {
  return IPV4_LIKE.test(value) && /\d/.test(value);
}

/**
 * Strict dotted-decimal IPv4: four parts 0-255, no leading zeros (which some parsers read as
 * octal), no shorthand (`1.2.3`) or hex (`0x7f.1`) forms that browsers accept but logs never show.
 */
export function normaliseIpv4(raw: string): Check<IpValue> {
  if (!ipaddr.IPv4.isValidFourPartDecimal(raw)) {
    if (looksLikeIpv4(raw) && ipaddr.IPv4.isValid(raw)) {
      return fail(`"${raw}" is a shorthand, octal or hex IPv4 form; only dotted decimal a.b.c.d is accepted`);
    }
    return fail(`"${raw}" is not a valid IPv4 address (four decimal parts 0-255)`);
  }
  return ok({ type: 'ipv4', value: ipaddr.IPv4.parse(raw).toString() });
}

/**
 * IPv6 in RFC 5952 form (compressed, lower case). An IPv4-mapped address (::ffff:1.2.3.4) is the
 * IPv4 address it carries: that is what logs record and what an indicator must match.
 */
export function normaliseIpv6(raw: string): Check<IpValue> {
  if (raw.includes('%')) return fail(`"${raw}" has an IPv6 zone id, which is local to one machine`);
  if (!ipaddr.IPv6.isValid(raw)) return fail(`"${raw}" is not a valid IPv6 address`);
  const addr = ipaddr.IPv6.parse(raw);
  if (addr.isIPv4MappedAddress()) return normaliseIpv4(addr.toIPv4Address().toString());
  return ok({ type: 'ipv6', value: addr.toRFC5952String() });
}

/** Port of an `ip:port` or URL: decimal digits only, 0-65535. */
export function parsePort(raw: string): Check<number> {
  if (!/^\d{1,5}$/.test(raw)) return fail(`port "${raw}" is not a number 0-65535`);
  const port = Number(raw);
  return port <= 65535 ? ok(port) : fail(`port ${port} is out of range 0-65535`);
}

const MAX_DOMAIN_LENGTH = 253;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|\d+)$/i;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Letters, marks and digits of any script (IDN), hyphen, and the dots IDNA treats as dots. */
const DOMAIN_CHARS = /^[\p{L}\p{M}\p{N}.\-\u3002\uFF0E\uFF61]+$/u;

/**
 * A domain name as an indicator: lower case, no trailing dot, IDN as punycode (xn--), LDH labels of
 * 1-63 characters, at most 253 in all, ending in an ICANN public suffix with a label before it.
 *
 * Private suffixes (PSL private section: duckdns.org, github.io, azurewebsites.net, ...) are
 * judged as follows: a host *under* one (x.duckdns.org) is accepted whole, because dynamic DNS and
 * shared hosting are where C2 lives and we never cut a value down to its registrable domain; the
 * private suffix *itself* (duckdns.org) is rejected, because blocking it would hit every tenant.
 */
export function normaliseDomain(raw: string): Check<string> {
  const visible = checkVisible(raw);
  if (!visible.ok) return visible;
  if (!DOMAIN_CHARS.test(raw)) {
    const bad = [...raw].find((c) => !DOMAIN_CHARS.test(c))!;
    return fail(`contains a character not allowed in a domain name: ${describeChar(bad)}`);
  }
  let host = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  // WHATWG URL parsers read a host whose last label is a number as IPv4 (1.2.3, 0x7f.1, 1.2.3.4.5).
  if (NUMERIC_LABEL.test(host.slice(host.lastIndexOf('.') + 1)))
    return fail(`"${raw}" is an IP address form, not a domain`);
  // domainToASCII lower-cases, maps IDN to punycode (UTS #46) and returns '' when that fails.
  const ascii = domainToASCII(host);
  if (!ascii) return fail(`"${raw}" is not a valid domain name (IDNA conversion failed)`);
  host = ascii;
  if (host.length > MAX_DOMAIN_LENGTH) return fail(`domain is ${host.length} characters long, the maximum is 253`);
  const labels = host.split('.');
  if (labels.length < 2) return fail(`"${raw}" has no top-level domain`);
  const badLabel = labels.find((l) => !LABEL.test(l));
  if (badLabel !== undefined) {
    return fail(
      badLabel === ''
        ? `"${raw}" has an empty label`
        : `label "${badLabel}" is not 1-63 letters, digits or inner hyphens`,
    );
  }
  const icann = parseDomain(host, { allowPrivateDomains: false, validateHostname: false });
  if (icann.isIp) return fail(`"${raw}" is an IP address, not a domain`);
  if (!icann.isIcann || !icann.publicSuffix) return fail(`"${host}" does not end in a known public suffix`);
  if (!icann.domain) return fail(`"${host}" is a public suffix itself, not a domain`);
  const withPrivate = parseDomain(host, { allowPrivateDomains: true, validateHostname: false });
  if (withPrivate.isPrivate && withPrivate.publicSuffix === host) {
    return fail(`"${host}" is a shared-hosting / dynamic-DNS suffix; an indicator on it would hit every tenant`);
  }
  return ok(host);
}

/** A URL authority's host, canonical: `[IPv6]`, IPv4 (without a trailing root dot) or a domain. */
export function normaliseUrlHost(rawHost: string): Check<{ value: string; type: IpValue['type'] | 'domain' }> {
  if (rawHost.startsWith('[')) return normaliseIpv6(rawHost.slice(1, -1));
  if (looksLikeIpv4(rawHost)) return normaliseIpv4(rawHost.endsWith('.') ? rawHost.slice(0, -1) : rawHost);
  const domain = normaliseDomain(rawHost);
  return domain.ok ? ok({ value: domain.value, type: 'domain' }) : fail(`URL host: ${domain.reason}`);
}
