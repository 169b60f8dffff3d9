/**
 * Well-known benign infrastructure: values that must never become an indicator or a hunt, because
 * they would match every tenant's normal traffic (a public resolver, google.com, the hash of an
 * empty file or of the EICAR anti-virus test file) or can never be a remote host (documentation
 * and other special-purpose ranges).
 *
 * CONTRACT (shared by the normaliser and the KQL builder): `isWellKnownHost(host)` is true when a
 * host (lower-case domain, or an IP) is popular or shared infrastructure, so that a URL IOC on it
 * (a payload on a file-sharing or code-hosting site) stays a URL IOC but its host is never hunted
 * as a domain. Pass the tenant's allow-list (BENIGN_ALLOWLIST) as the second argument to count it too.
 *
 * Sources: the most popular domains come from the `top-sites` npm package (Moz top 500), vendored
 * in ./data (see ./data/README.md, `npm run update:top-sites`); the rest are facts that do not
 * change (resolver addresses, IANA special-purpose registries, hashes of empty input).
 */
import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import topSites from './data/top-sites.json';

/** Why a value was refused as benign: the summary counts refusals by these. */
export const BENIGN_KINDS = [
  'popular-domain',
  'public-resolver',
  'special-purpose-address',
  'empty-file-hash',
  'allow-list',
  'test-file-hash',
] as const;
export type BenignKind = (typeof BENIGN_KINDS)[number];

export interface BenignRefusal {
  kind: BenignKind;
  reason: string;
}

const www = (host: string) => host.replace(/^www\./, '');

/** Popular domains, `www.` dropped (the list has `www.google.com` next to `docs.google.com`). */
const POPULAR = new Set<string>(
  (topSites as Array<{ rootDomain: string }>).map((s) => www(s.rootDomain.trim().toLowerCase())),
);

/**
 * Shared file-sharing and code-hosting services that ThreatFox URLs often point into but that rank
 * below the top 500: every name under them belongs to the service, so none is hunted as a domain.
 */
const SHARED_HOSTING = [
  'githubusercontent.com',
  'discordapp.com',
  'discordapp.net',
  'sharepoint.com',
  'onedrive.live.com',
  'bitbucket.org',
  'gitlab.com',
  'pastebin.com',
  'mediafire.com',
  'mega.nz',
];

/** Public DNS resolvers (Google, Cloudflare, Quad9, OpenDNS, AdGuard, CleanBrowsing, Level3, Yandex), IPv4 and IPv6. */
const PUBLIC_RESOLVERS = new Set(
  [
    '8.8.8.8',
    '8.8.4.4',
    '2001:4860:4860::8888',
    '2001:4860:4860::8844',
    '1.1.1.1',
    '1.0.0.1',
    '1.1.1.2',
    '1.0.0.2',
    '1.1.1.3',
    '1.0.0.3',
    '2606:4700:4700::1111',
    '2606:4700:4700::1001',
    '9.9.9.9',
    '149.112.112.112',
    '9.9.9.10',
    '149.112.112.10',
    '9.9.9.11',
    '149.112.112.11',
    '2620:fe::fe',
    '2620:fe::9',
    '2620:fe::10',
    '2620:fe::11',
    '208.67.222.222',
    '208.67.220.220',
    '208.67.222.123',
    '208.67.220.123',
    '2620:119:35::35',
    '2620:119:53::53',
    '94.140.14.14',
    '94.140.15.15',
    '2a10:50c0::ad1:ff',
    '2a10:50c0::ad2:ff',
    '185.228.168.9',
    '185.228.169.9',
    '4.2.2.1',
    '4.2.2.2',
    '77.88.8.8',
    '77.88.8.1',
  ].map((ip) => ipaddr.parse(ip).toNormalizedString()),
);

/** What each ipaddr.js range name means, for a rejection reason; `unicast` is the only ordinary one. */
const RANGE_TEXT: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (RFC 6598) address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a unique-local (fc00::/7) address',
  reserved: 'in a documentation, benchmarking or reserved range (IANA special-purpose registry)',
  as112: 'an AS112 DNS sink address',
  as112v6: 'an AS112 DNS sink address',
  amt: 'an AMT relay anycast address',
  benchmarking: 'a benchmarking (RFC 5180) address',
  discard: 'a discard-only (RFC 6666) address',
  deprecatedSiteLocal: 'a deprecated site-local address',
  deprecatedOrchid: 'an ORCHID (non-routable identifier) address',
  orchid2: 'an ORCHIDv2 (non-routable identifier) address',
  droneRemoteIdProtocolEntityTags: 'a drone remote-ID (RFC 9374) identifier',
  segmentRouting: 'a segment-routing (RFC 9602) SID',
};

/** Ranges that still carry a real remote address (IPv6 transition forms): not refused. */
const CARRIES_REMOTE = new Set(['unicast', 'ipv4Mapped', '6to4', 'teredo', 'rfc6052', 'rfc6145']);

/** MD5, SHA-1 and SHA-256 of zero bytes: an indicator on them matches every empty file. */
const EMPTY_FILE_HASHES: Readonly<Record<string, string>> = {
  d41d8cd98f00b204e9800998ecf8427e: 'MD5',
  da39a3ee5e6b4b0d3255bfef95601890afd80709: 'SHA-1',
  e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855: 'SHA-256',
};

/**
 * MD5, SHA-1 and SHA-256 of the EICAR anti-virus test file (the 68-byte standard file, eicar.org):
 * harmless by design, and every AV and EDR test drops it, so an indicator on it only raises noise.
 */
const TEST_FILE_HASHES: Readonly<Record<string, string>> = {
  '44d88612fea8a8f36de82e1278abb02f': 'MD5',
  '3395856ce81f2b7382dee72602f798b642f14140': 'SHA-1',
  '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f': 'SHA-256',
};

/** The tenant's own benign values (BENIGN_ALLOWLIST): domains (with their subdomains), IPs, CIDR ranges, hashes. */
export interface Allowlist {
  domains: ReadonlySet<string>;
  ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  hashes: ReadonlySet<string>;
}

export const EMPTY_ALLOWLIST: Allowlist = { domains: new Set(), ranges: [], hashes: new Set() };

const DOMAIN_ENTRY = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * Parses BENIGN_ALLOWLIST (comma-separated). Returns the entries that are none of the accepted
 * forms in `bad`, so the setting's reader can name them.
 */
export function parseAllowlist(text: string | undefined): { allowlist: Allowlist; bad: string[] } {
  const domains = new Set<string>();
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  const hashes = new Set<string>();
  const bad: string[] = [];
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, '');
    if (entry === '') continue;
    if (/^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/.test(entry)) hashes.add(entry);
    else if (ipaddr.isValidCIDR(entry)) ranges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry) && (entry.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(entry))) {
      const addr = ipaddr.parse(entry);
      ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (DOMAIN_ENTRY.test(entry) && !/^[\d.]+$/.test(entry)) domains.add(entry);
    else bad.push(raw.trim());
  }
  return { allowlist: { domains, ranges, hashes }, bad };
}

/**
 * Only these can be an address to ipaddr.js (its IPv4 forms are digits, hex and dots; IPv6 needs a
 * colon): anything else is refused here, since ipaddr.isValid refuses it by throwing, which is slow.
 */
const MAYBE_IP = /^[0-9a-fx.]+$|:/i;

function parseIp(value: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!MAYBE_IP.test(value) || !ipaddr.isValid(value)) return undefined;
  const addr = ipaddr.parse(value);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function inRanges(addr: ipaddr.IPv4 | ipaddr.IPv6, allow: Allowlist): boolean {
  return allow.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/**
 * Whether `test` holds for the host or a parent domain of it (`a.b.example.com`, `b.example.com`,
 * `example.com`, `com`), longest first, down to `minLength` characters; walked in place, no list.
 */
function selfOrParent(host: string, test: (name: string) => boolean, minLength = 0): boolean {
  for (let from = 0; host.length - from >= minLength;) {
    if (test(from === 0 ? host : host.slice(from))) return true;
    const dot = host.indexOf('.', from);
    if (dot < 0) return false;
    from = dot + 1;
  }
  return false;
}

const underAny = (host: string, names: ReadonlySet<string>) =>
  names.size > 0 && selfOrParent(host, (p) => names.has(p));

const SHARED = new Set(SHARED_HOSTING);

/**
 * True when a popular name covers this host: the host itself (or its `www.` twin) is listed, or a
 * listed name is one of its parents down to its registrable domain. The registrable domain counts
 * private suffixes (github.io, netlify.app), so `evil.netlify.app` is not covered by `netlify.app`.
 */
function isPopular(host: string): boolean {
  if (POPULAR.has(www(host))) return true;
  const registrable = getDomain(host, { allowPrivateDomains: true });
  if (!registrable) return false;
  return selfOrParent(host, (p) => POPULAR.has(p), registrable.length);
}

/** See the CONTRACT above. `host` is a lower-case domain or an IP address (IPv6 without brackets). */
export function isWellKnownHost(host: string, allow: Allowlist = EMPTY_ALLOWLIST): boolean {
  const h = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  const ip = parseIp(h);
  if (ip) return PUBLIC_RESOLVERS.has(ip.toNormalizedString()) || inRanges(ip, allow);
  return isPopular(h) || underAny(h, SHARED) || underAny(h, allow.domains);
}

/** Why an address can never be a remote C2 or download host, or undefined for an ordinary one. */
export function specialPurposeRange(value: string): string | undefined {
  const ip = parseIp(value);
  if (!ip) return undefined;
  const range = ip.range();
  return CARRIES_REMOTE.has(range) ? undefined : (RANGE_TEXT[range] ?? `in the special-purpose range "${range}"`);
}

/**
 * Why a normalised IOC must not become an indicator, or undefined when it may. A URL is judged by
 * its host only when that host is a special-purpose address: a URL on a popular host is a real
 * IOC (a payload on a file-sharing site), and isWellKnownHost keeps its host out of the hunts.
 */
export function benignRefusal(
  ioc: { type: string; value: string; host?: string },
  allow: Allowlist = EMPTY_ALLOWLIST,
): BenignRefusal | undefined {
  switch (ioc.type) {
    case 'ipv4':
    case 'ipv6': {
      const special = specialPurposeRange(ioc.value);
      if (special)
        return { kind: 'special-purpose-address', reason: `${ioc.value} is ${special}, never a remote host` };
      const ip = parseIp(ioc.value)!;
      if (PUBLIC_RESOLVERS.has(ip.toNormalizedString())) {
        return {
          kind: 'public-resolver',
          reason: `${ioc.value} is a public DNS resolver: an indicator on it would match every tenant's DNS traffic`,
        };
      }
      if (inRanges(ip, allow)) return { kind: 'allow-list', reason: `${ioc.value} is on the BENIGN_ALLOWLIST setting` };
      return undefined;
    }
    case 'domain': {
      if (underAny(ioc.value, allow.domains))
        return { kind: 'allow-list', reason: `${ioc.value} is on the BENIGN_ALLOWLIST setting` };
      // A name under a popular or shared service (docs.google.com, raw.githubusercontent.com) is the
      // service's: as a domain indicator it matches everyone; the payload's URL is the IOC to send.
      if (isPopular(ioc.value) || underAny(ioc.value, SHARED)) {
        return {
          kind: 'popular-domain',
          reason: `${ioc.value} is, or is under, one of the most popular domains or shared hosting services (top-sites list): an indicator on it would match every tenant's traffic; send the full URL instead`,
        };
      }
      return undefined;
    }
    case 'url': {
      const special = ioc.host ? specialPurposeRange(ioc.host) : undefined;
      return special
        ? { kind: 'special-purpose-address', reason: `URL host ${ioc.host} is ${special}, never a remote host` }
        : undefined;
    }
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const empty = EMPTY_FILE_HASHES[ioc.value];
      if (Object.hasOwn(EMPTY_FILE_HASHES, ioc.value)) {
        return {
          kind: 'empty-file-hash',
          reason: `${ioc.value} is the ${empty} of an empty file: an indicator on it would match every zero-byte file`,
        };
      }
      if (Object.hasOwn(TEST_FILE_HASHES, ioc.value)) {
        return {
          kind: 'test-file-hash',
          reason: `${ioc.value} is the ${TEST_FILE_HASHES[ioc.value]} of the EICAR anti-virus test file: harmless by design, an indicator on it would flag every anti-virus test`,
        };
      }
      if (allow.hashes.has(ioc.value))
        return { kind: 'allow-list', reason: `${ioc.value} is on the BENIGN_ALLOWLIST setting` };
      return undefined;
    }
    default:
      return undefined;
  }
}
