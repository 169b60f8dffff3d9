/**
 * Turns ThreatFox records and pasted IOC lists into typed, canonical IOCs. Nothing here throws on
 * bad input and nothing is dropped silently: every input becomes an Ioc or a Rejected with a reason.
 */
import { type Allowlist, benignRefusal, type BenignKind, EMPTY_ALLOWLIST } from './benign';
import { dedupeIocs, stripUndefined } from './dedupe';
import {
  type Check,
  checkVisible,
  fail,
  looksLikeIpv4,
  normaliseDomain,
  normaliseIpv4,
  normaliseIpv6,
  ok,
  parsePort,
} from './host';
import { refangValue } from './refang';
import type { FeedRecord, Ioc, NormaliseResult, Rejected } from './types';
import { hasScheme, MAX_URL_LENGTH, normaliseUrl } from './url';
import { withHuntedHost } from './urlHost';

export { dedupeIocs } from './dedupe';

export type NormalisedValue = Pick<Ioc, 'type' | 'value' | 'port'>;
/** `benign` says the value was well formed but refused as well-known benign infrastructure (lib/ioc/benign.ts). */
export type NormaliseValueResult =
  { ok: true; ioc: NormalisedValue } | { ok: false; reason: string; benign?: BenignKind };

/** A normalised value, with the host of a URL (for the benign check). */
type Checked = NormalisedValue & { urlHost?: string };

/** What a value is, before we know whether it is valid. */
type Kind = 'ip' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256';

/** ThreatFox `ioc_type` → the kind its value must be. */
const KIND_OF_HINT: Readonly<Record<string, Kind>> = {
  'ip:port': 'ip',
  domain: 'domain',
  url: 'url',
  md5_hash: 'md5',
  sha1_hash: 'sha1',
  sha256_hash: 'sha256',
};

const EXPRESSIBLE = 'ipv4, ipv6, domain, url, md5, sha1, sha256';

/** ThreatFox types we know but cannot turn into a Sentinel indicator, with why. */
const INEXPRESSIBLE: Readonly<Record<string, string>> = {
  sha3_384_hash: `ioc_type sha3_384_hash cannot be expressed as a Sentinel indicator: SHA3-384 is not in the STIX 2.1 hash vocabulary (we emit ${EXPRESSIBLE})`,
  envelope_from: `ioc_type envelope_from (email sender) cannot be expressed as a Sentinel indicator by this sync (we emit ${EXPRESSIBLE})`,
  body_from: `ioc_type body_from (email sender) cannot be expressed as a Sentinel indicator by this sync (we emit ${EXPRESSIBLE})`,
};

const HASH_LENGTH: Readonly<Record<'md5' | 'sha1' | 'sha256', number>> = { md5: 32, sha1: 40, sha256: 64 };
const HEX = /^[0-9a-f]+$/i;

function normaliseHash(kind: 'md5' | 'sha1' | 'sha256', raw: string): Check<NormalisedValue> {
  const len = HASH_LENGTH[kind];
  if (!HEX.test(raw)) return fail(`${kind} must be hexadecimal`);
  if (raw.length !== len) return fail(`${kind} must be ${len} hex characters, got ${raw.length}`);
  return ok({ type: kind, value: raw.toLowerCase() });
}

/**
 * `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`.
 * With `portExpected` (ThreatFox ip:port) a bare IPv6 is refused: `2001:db8::1:443` reads both as
 * an address and as address + port, and guessing would make a wrong indicator.
 */
function normaliseIpPort(raw: string, portExpected: boolean): Check<NormalisedValue> {
  const [, inBrackets, bracketPort] = /^\[([^\]]*)\](?::(.*))?$/.exec(raw) ?? [];
  if (inBrackets !== undefined) {
    const ip = normaliseIpv6(inBrackets);
    if (!ip.ok) return ip;
    return withPort(ip.value, bracketPort);
  }
  const colons = raw.split(':').length - 1;
  if (colons > 1) {
    if (portExpected) return fail(`"${raw}": an IPv6 address with a port must be written [address]:port`);
    const ip = normaliseIpv6(raw);
    return ip.ok ? ok(ip.value) : ip;
  }
  // At most one colon here: the address, then the port if there is one.
  const [addr = raw, rawPort] = raw.split(':');
  const ip = normaliseIpv4(addr);
  if (!ip.ok) return ip;
  return withPort(ip.value, rawPort);
}

function withPort(ip: NormalisedValue, rawPort: string | undefined): Check<NormalisedValue> {
  if (rawPort === undefined) return ok(ip);
  const port = parsePort(rawPort);
  if (!port.ok) return port;
  // Port 0 is "any port" to a socket API; no connection ever goes to it, so no log would match.
  if (port.value === 0) return fail('port 0 is not a destination port (1-65535)');
  return ok({ ...ip, port: port.value });
}

function normaliseAs(kind: Kind, raw: string, fromThreatFox: boolean): Check<Checked> {
  switch (kind) {
    case 'ip':
      return normaliseIpPort(raw, fromThreatFox);
    case 'domain': {
      const d = normaliseDomain(raw);
      return d.ok ? ok({ type: 'domain', value: d.value }) : d;
    }
    case 'url': {
      const u = normaliseUrl(raw);
      return u.ok ? ok({ type: 'url', value: u.value.value, urlHost: u.value.host }) : u;
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
      return normaliseHash(kind, raw);
  }
}

/**
 * Guesses what a free-text value is meant to be, in this order: URL with a scheme; email (refused);
 * hash by length (a bare hex string); `host/path` without a scheme, read as an http:// URL the way
 * a browser reads it (a rejection reason then shows the URL it tried); IP or ip:port;
 * `domain:port` (refused: there is no such IOC type); otherwise a domain.
 */
function detect(value: string): Check<{ kind: Kind; value: string }> {
  if (hasScheme(value)) return ok({ kind: 'url', value });
  if (CIDR.test(value)) {
    return fail(`"${value}" is a CIDR range; a range cannot be an indicator here: list the addresses one a line`);
  }
  if (/^[^/]*@/.test(value)) {
    return fail(
      `looks like an email address; email senders cannot be expressed as a Sentinel indicator by this sync (we emit ${EXPRESSIBLE})`,
    );
  }
  if (HEX.test(value)) {
    // A bare hex string has no dot or colon, so it can never be an IP or a domain.
    const kind = (Object.keys(HASH_LENGTH) as Array<keyof typeof HASH_LENGTH>).find(
      (k) => HASH_LENGTH[k] === value.length,
    );
    if (kind) return ok({ kind, value });
    if (/^\d+$/.test(value))
      return fail(`"${value}" is a bare number: neither a dotted-decimal IPv4 address nor a hash`);
    if (value.length === 96)
      return fail(
        `a 96-hex-character (SHA3-384) hash cannot be expressed as a Sentinel indicator (we emit ${EXPRESSIBLE})`,
      );
    return fail(`a hex string of ${value.length} characters is not an MD5 (32), SHA-1 (40) or SHA-256 (64) hash`);
  }
  if (value.includes('/')) return ok({ kind: 'url', value: `http://${value}` });
  const [beforeColon, ...afterColon] = value.split(':');
  const ipv4WithPort = afterColon.length === 1 && beforeColon !== undefined && looksLikeIpv4(beforeColon);
  const ipv6Like = afterColon.length > 1 && /^[0-9a-f:.]+(?:%.*)?$/i.test(value);
  if (value.startsWith('[') || looksLikeIpv4(value) || ipv4WithPort || ipv6Like) {
    return ok({ kind: 'ip', value });
  }
  if (/^[^:]+:[^:]*$/.test(value)) {
    return fail('a domain with a port is not an IOC type; give the domain alone or a full URL with a scheme');
  }
  return ok({ kind: 'domain', value });
}

/** `45.9.20.0/24`, `2001:db8::/32`: a network, not a host (without the check it reads as a URL path). */
const CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)\/\d{1,3}$/i;

function kindName(kind: Kind): string {
  return kind === 'ip' ? 'an IP address' : `a ${kind}`;
}

/**
 * Normalises one value. `hint` is the ThreatFox `ioc_type`; without it the type is detected (see
 * `detect`). The value must already be fanged: ThreatFox serves live values, and pasted text goes
 * through `refang` first (parseIocText does it), so a URL path that contains `[.]` is left alone.
 * For a URL the port stays inside the value; `port` is only set for an IP.
 */
export function normaliseValue(raw: string, hint?: string, allow: Allowlist = EMPTY_ALLOWLIST): NormaliseValueResult {
  const value = raw.trim();
  const result = normaliseChecked(value, hint);
  if (!result.ok) return { ok: false, reason: result.reason };
  const { urlHost, ...ioc } = result.value;
  const refusal = benignRefusal({ ...ioc, host: urlHost }, allow);
  if (refusal) return { ok: false, reason: refusal.reason, benign: refusal.kind };
  return { ok: true, ioc: stripUndefined(ioc) };
}

const ONE_IOC = 'an IP address, domain, URL or hash';

/**
 * Pasted text that cannot be any IOC, said in words rather than as the first check it fails:
 * several words (`this is not an ioc at all`), or no letter or digit at all (`???///`).
 */
function notAnIoc(value: string): string | undefined {
  if (!/[\p{L}\p{N}]/u.test(value)) return `not an IOC: no letter or digit in it (expected ${ONE_IOC})`;
  if (/\S \S/.test(value) && !hasScheme(value))
    return `not an IOC: several words (one IOC a line: ${ONE_IOC}; a note goes after " # ")`;
  return undefined;
}

function normaliseChecked(value: string, hint: string | undefined): Check<Checked> {
  if (value === '') return fail('empty value');
  if (value.length > MAX_URL_LENGTH)
    return fail(`value is ${value.length} characters long, the maximum is ${MAX_URL_LENGTH}`);
  const prose = hint === undefined ? notAnIoc(value) : undefined;
  if (prose) return fail(prose);
  const visible = checkVisible(value);
  if (!visible.ok) return visible;

  if (hint === undefined) {
    const detected = detect(value);
    if (!detected.ok) return detected;
    const r = normaliseAs(detected.value.kind, detected.value.value, false);
    if (!r.ok && detected.value.value !== value) return fail(`read as ${detected.value.value}: ${r.reason}`);
    return r;
  }

  // Own keys only: a hostile ioc_type such as "constructor" must not reach Object.prototype.
  const inexpressible = Object.hasOwn(INEXPRESSIBLE, hint) ? INEXPRESSIBLE[hint] : undefined;
  if (inexpressible !== undefined) return fail(inexpressible);
  const kind = Object.hasOwn(KIND_OF_HINT, hint) ? KIND_OF_HINT[hint] : undefined;
  if (kind === undefined)
    return fail(
      `unknown ThreatFox ioc_type "${hint}" (known: ${[...Object.keys(KIND_OF_HINT), ...Object.keys(INEXPRESSIBLE)].join(', ')})`,
    );

  const r = normaliseAs(kind, value, true);
  if (r.ok) return r;
  // Say "ioc_type domain but the value is a URL" rather than a puzzling validation message.
  const detected = detect(value);
  if (detected.ok && detected.value.kind !== kind && detected.value.value === value) {
    const other = normaliseAs(detected.value.kind, value, false);
    if (other.ok) return fail(`ioc_type is ${hint} but the value is ${kindName(detected.value.kind)}`);
  }
  return fail(`ioc_type ${hint}: ${r.reason}`);
}

/** The ThreatFox context an Ioc keeps, without undefined keys (they would clutter iocs.json). */
function metadataOf(r: FeedRecord): Omit<Ioc, 'type' | 'value' | 'port' | 'huntedHost'> {
  return stripUndefined({
    threatfoxId: r.threatfoxId,
    malware: r.malware.trim().toLowerCase(),
    malwarePrintable: r.malware_printable,
    threatType: r.threat_type,
    threatTypeDesc: r.threat_type_desc,
    confidence: r.confidence_level,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    reference: r.reference,
    tags: r.tags.length ? [...r.tags] : undefined,
    reporter: r.reporter,
  });
}

/** One validated ThreatFox record: its IOC (a URL with its hunted host decided with `allow`), or why it was refused. */
export function normaliseRecord(
  r: FeedRecord,
  allow: Allowlist = EMPTY_ALLOWLIST,
): { ok: true; ioc: Ioc } | { ok: false; rejected: Rejected } {
  const res = normaliseValue(r.ioc, r.ioc_type, allow);
  if (res.ok) return { ok: true, ioc: withHuntedHost({ ...res.ioc, ...metadataOf(r) }, allow) };
  return {
    ok: false,
    rejected: stripUndefined({ input: `ThreatFox #${r.id}: ${r.ioc}`, reason: res.reason, benign: res.benign }),
  };
}

/** Normalises validated ThreatFox records; the IOCs come back deduplicated (see dedupeIocs). */
export function normaliseRecords(records: readonly FeedRecord[], allow: Allowlist = EMPTY_ALLOWLIST): NormaliseResult {
  const iocs: Ioc[] = [];
  const rejected: Rejected[] = [];
  for (const r of records) {
    const res = normaliseRecord(r, allow);
    if (res.ok) iocs.push(res.ioc);
    else rejected.push(res.rejected);
  }
  return { iocs: dedupeIocs(iocs), rejected };
}

/** `value  # note` or `value // note`: a comment needs whitespace before it, so URL fragments survive. */
const INLINE_COMMENT = /(?<!\s)\s+(?:#|\/\/).*$/; // (?<!\s): linear time on long blank runs

/**
 * Parses a pasted list, one (possibly defanged) IOC a line. Blank lines and lines starting with
 * `#` or `//` are skipped; a trailing ` # note` is a comment. A value is taken whole or refused
 * with a reason, never cut. CSV-ish lines are tolerated only where that cannot cut a value: when
 * the whole line is not an IOC, its first comma- or tab-separated field is taken if it is a
 * domain, IP or hash (none can hold a comma) and no other field is an IOC too (`evil[.]com,C2
 * panel`). A URL may contain commas, so a line whose first field is a URL is judged whole.
 * `defaults` adds context (malware, tags, ...) to every IOC; its type/value/port/huntedHost are ignored.
 * A URL's hunted host is decided with `allow`. The IOCs come back deduplicated; each rejected line is kept with its line number.
 */
export function parseIocText(
  text: string,
  defaults: Partial<Ioc> = {},
  allow: Allowlist = EMPTY_ALLOWLIST,
): NormaliseResult {
  const { type: _t, value: _v, port: _p, huntedHost: _h, ...context } = defaults;
  const iocs: Ioc[] = [];
  const rejected: Rejected[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) return;
    const candidate = trimmed.replace(INLINE_COMMENT, '');
    let res = normaliseValue(refangValue(candidate), undefined, allow);
    if (!res.ok && !res.benign && /[,\t]/.test(candidate)) res = firstCsvField(candidate, allow) ?? res;
    if (res.ok)
      iocs.push(
        withHuntedHost(stripUndefined({ ...context, tags: context.tags && [...context.tags], ...res.ioc }), allow),
      );
    else rejected.push(stripUndefined({ input: trimmed, reason: `line ${i + 1}: ${res.reason}`, benign: res.benign }));
  });
  return { iocs: dedupeIocs(iocs), rejected };
}

/** The first field of a CSV-ish line when taking it cuts nothing (see parseIocText); undefined to judge the line whole. */
function firstCsvField(line: string, allow: Allowlist): NormaliseValueResult | undefined {
  const [first, ...rest] = line.split(/[,\t]/).map((f) => refangValue(f.trim()));
  if (first === undefined) return undefined; // split always yields one field
  const res = normaliseValue(first, undefined, allow);
  if (res.ok && res.ioc.type === 'url') return undefined;
  if (!res.ok) return res.benign ? res : undefined;
  const other = rest.find((f) => {
    if (f === '') return false;
    const r = normaliseValue(f);
    return r.ok || r.benign !== undefined;
  });
  if (other !== undefined) {
    return { ok: false, reason: `holds more than one value ("${first}", "${other}", ...): put one IOC a line` };
  }
  return res;
}
