import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { armContract, CONTRACT_DOCUMENTS } from './armContract';
import { testCertificate } from './tls';
import { readBody, writeAzureJson } from './http';

/**
 * A fake Azure Resource Manager for Microsoft Sentinel content, over HTTPS on 127.0.0.1 (the ARM
 * SDKs' bearer-token policy refuses plain http). It serves the paths the SDKs call:
 *
 * - `…/workspaces/{ws}/providers/Microsoft.SecurityInsights/threatIntelligence/main/`
 *   `createIndicator` (POST; assigns a GUID name), `indicators/{name}` (GET, PUT = update of an
 *   existing indicator, 404 otherwise; DELETE 200, or 204 when absent), `indicators` (GET, `$top`,
 *   `nextLink` with `$skipToken`), `queryIndicators` (POST filtering on `sources`, `pageSize`;
 *   the next page by `skipToken` in the body or by GET on the `nextLink`), `metrics` (GET: the
 *   indicators counted by source, threat type and pattern type; live, or frozen by `snapshotMetrics`);
 * - `…/workspaces/{ws}/savedSearches[/{id}]` (PUT, GET, list) at api-version 2020-08-01 with
 *   etags: replacing an existing saved search needs its current etag or `*`.
 *
 * Like ARM it answers 401 without the expected bearer token, 400 for a missing or unsupported
 * api-version and for bodies the service rejects (an indicator without pattern, patternType,
 * source or validFrom, a malformed STIX pattern, a saved search without category, displayName
 * or query), errors always as `{"error":{"code","message"}}`. It respells dates the way the
 * service does (`…T00:00:00.0000000Z`), so clients must compare instants, not strings.
 *
 * Faults: `failNext` (one-off 503s, 429 storms with Retry-After, a fault that happens after the
 * write took effect, i.e. a lost response; `hang` never answers, `reset` cuts the connection),
 * `failAlways` (a permanently failing item), `queryPaging.replay` (a page repeated, paging going
 * backwards, a listing cut short), and a token bucket on writes (ARM's: a burst, then a steady
 * rate) whose clock can run faster than real time for a benchmark. Every request is recorded.
 *
 * Contract: every request and answer at the documented api-versions is checked against the
 * vendored Azure REST API OpenAPI documents (./armContract, test/fixtures/openapi).
 *
 * For the preflight check (lib/jobs/check.ts) it also answers two reads of
 * Microsoft.OperationalInsights: the workspace (`…/workspaces/{ws}`), one of its tables
 * (`…/workspaces/{ws}/tables/{table}`) and the list of them (`…/workspaces/{ws}/tables`: what the
 * sync writes hunts for), all GET only. `workspaces` says which exist (default: any
 * workspace, holding DEFAULT_WORKSPACE_TABLES); a missing one answers ARM's 404s
 * (`ResourceGroupNotFound`, `ResourceNotFound`). A 403 is scripted with `failNext` on the
 * operation `workspace` (ARM's `AuthorizationFailed`). It also answers the caller's permissions on
 * the workspace (`…/workspaces/{ws}/providers/Microsoft.Authorization/permissions`, GET), from
 * `permissions` (default: Microsoft Sentinel Contributor's actions, as the built-in role defines them).
 * Workspaces are kept apart: each workspace has its own indicators and saved searches, and its
 * `properties.customerId` is the id the STIX objects upload API (test/fakes/tiUploadServer.ts)
 * addresses it by; `ingestUploaded` lands uploaded objects in the same store, so queryIndicators
 * reads them back. Indicators seeded without a workspace are seen by every workspace. The write
 * throttle is per subscription, as ARM's is.
 *
 * With `msi`, it also serves an App Service managed-identity token endpoint on plain http
 * (`IDENTITY_ENDPOINT` / `IDENTITY_HEADER`), so a child process using DefaultAzureCredential with
 * `AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential` gets the fake's token from loopback only
 * (`msiToken` makes it hand out one ARM refuses). `queryPaging` adds the paging quirks a client of
 * queryIndicators must survive: empty pages followed by more, and a nextLink after the last page.
 */

/** Stable and preview versions the real Microsoft.SecurityInsights threat-intelligence API answers to. */
export const TI_API_VERSIONS = [
  '2021-10-01',
  '2022-11-01',
  '2023-02-01',
  '2023-11-01',
  '2024-03-01',
  '2024-09-01',
  '2025-09-01',
  '2022-09-01-preview',
];
/** Versions Microsoft.OperationalInsights answers to for savedSearches. */
export const SAVED_SEARCH_API_VERSIONS = ['2015-03-20', '2020-03-01-preview', '2020-08-01', '2025-02-01', '2025-07-01'];

export const FAKE_ARM_TOKEN = 'fake-arm-access-token';

/** Versions Microsoft.OperationalInsights answers to for workspaces and tables (the SDK 9.x calls 2022-10-01). */
export const WORKSPACE_API_VERSIONS = [
  '2020-08-01',
  '2020-10-01',
  '2021-06-01',
  '2021-12-01-preview',
  '2022-10-01',
  '2023-09-01',
  '2025-02-01',
];

/**
 * Tables a Sentinel workspace holds in the fake unless a test says otherwise: one with every data
 * connector the hunts read (CEF, Windows DNS, Defender XDR with Defender for Office 365), so every
 * hunt is written. `WORKSPACE_WITHOUT_DEFENDER` is one with no Defender XDR connector.
 */
export const DEFAULT_WORKSPACE_TABLES = [
  'ThreatIntelIndicators',
  'ThreatIntelObjects',
  'CommonSecurityLog',
  'DnsEvents',
  'ASimDnsActivityLogs',
  'Syslog',
  'DeviceNetworkEvents',
  'DeviceFileEvents',
  'DeviceProcessEvents',
  'DeviceRegistryEvents',
  'DeviceFileCertificateInfo',
  'DeviceEvents',
  'UrlClickEvents',
  'EmailUrlInfo',
  'EmailEvents',
];

/** A workspace fed by CEF and Windows DNS only: no Defender XDR tables. */
export const WORKSPACE_WITHOUT_DEFENDER = [
  'ThreatIntelIndicators',
  'ThreatIntelObjects',
  'CommonSecurityLog',
  'DnsEvents',
  'ASimDnsActivityLogs',
  'Syslog',
];

/** Microsoft Sentinel Contributor's permissions, as the built-in role definition lists them. */
export const SENTINEL_CONTRIBUTOR_PERMISSIONS: FakePermission[] = [
  {
    actions: [
      'Microsoft.SecurityInsights/*',
      'Microsoft.OperationalInsights/workspaces/analytics/query/action',
      'Microsoft.OperationalInsights/workspaces/*/read',
      'Microsoft.OperationalInsights/workspaces/savedSearches/*',
      'Microsoft.OperationsManagement/solutions/read',
      'Microsoft.OperationalInsights/workspaces/query/read',
      'Microsoft.OperationalInsights/workspaces/query/*/read',
      'Microsoft.OperationalInsights/workspaces/dataSources/read',
      'Microsoft.OperationalInsights/querypacks/*/read',
      'Microsoft.Insights/workbooks/*',
      'Microsoft.Insights/myworkbooks/read',
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
    notActions: [
      'Microsoft.SecurityInsights/ConfidentialWatchlists/*',
      'Microsoft.OperationalInsights/workspaces/query/ConfidentialWatchlist/*',
    ],
  },
];

/** One entry of ARM's permissions list: the actions one role assignment grants the caller. */
export interface FakePermission {
  actions: string[];
  notActions?: string[];
}

/** Versions Microsoft.Authorization answers to for permissions. */
export const PERMISSIONS_API_VERSIONS = ['2015-07-01', '2018-01-01-preview', '2022-04-01'];

/** A Log Analytics workspace the fake knows (workspace GET and tables GET). */
export interface FakeWorkspace {
  resourceGroup: string;
  name: string;
  /** Table names (default DEFAULT_WORKSPACE_TABLES). */
  tables?: string[];
}

export interface RecordedArmRequest {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** What the fake answered. */
  status: number;
  /** The operation the path names (`createIndicator`, `indicator`, `savedSearch`, ...). */
  operation: ArmOperation;
  /** A write in ARM's throttling sense (PUT/DELETE, POST createIndicator). */
  write: boolean;
}

export type ArmOperation =
  | 'createIndicator'
  | 'indicator'
  | 'listIndicators'
  | 'queryIndicators'
  | 'metrics'
  | 'savedSearch'
  | 'listSavedSearches'
  | 'workspace'
  | 'table'
  | 'listTables'
  | 'permissions'
  | 'unknown';

export interface FaultRule {
  /** Which requests; default every request. */
  match?: (r: { method: string; path: string; operation: ArmOperation; body: unknown }) => boolean;
  /** Status of the fault's answer (default 503); ignored with `hang` or `reset`. */
  status?: number;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** `Retry-After` header, in seconds. */
  retryAfterSeconds?: number;
  /** `x-ms-retry-after-ms` header. */
  retryAfterMs?: number;
  /** Let the request take effect, then answer the fault: the client never learns it succeeded. */
  afterEffect?: boolean;
  /** Never answer: the connection stays open, silent, until the client gives up. */
  hang?: boolean;
  /** Cut the connection instead of answering (the client sees ECONNRESET). */
  reset?: boolean;
  code?: string;
  message?: string;
}

export interface ThrottleOptions {
  /** Writes allowed at once (ARM: 200). */
  burst: number;
  /** Refill per second of the fake's clock (ARM: 10). */
  perSecond: number;
  /** The fake's clock runs this many times faster than real time (default 1). */
  timeScale?: number;
}

export interface ArmFakeOptions {
  /** Bearer token the fake accepts (default FAKE_ARM_TOKEN). */
  token?: string;
  tiApiVersions?: string[];
  savedSearchApiVersions?: string[];
  /** Largest page queryIndicators and the list return (default 100). */
  maxPageSize?: number;
  throttle?: ThrottleOptions;
  /** Also serve an App Service MSI token endpoint; the value is the IDENTITY_HEADER secret it expects. */
  msiHeader?: string;
  /** Delay before answering each request, so a client's concurrency shows in `maxInFlight`. */
  latencyMs?: number;
  /** Token the MSI endpoint hands out (default `token`): set another to make ARM refuse it with 401. */
  msiToken?: string;
  /** The MSI endpoint takes token requests and never answers them. */
  msiHang?: boolean;
  /**
   * Check every request and answer against the vendored OpenAPI documents (./armContract) at the
   * api-versions they describe (default true): a request the real service would reject gets its
   * 400, and an answer of the fake's own that breaks the response schema becomes a 500.
   */
  contract?: boolean;
  /** queryIndicators paging quirks a client must survive. */
  queryPaging?: {
    /** These pages (0-based) first come back empty with a nextLink (a new token) to the same data. */
    emptyPages?: number[];
    /** The last page still has a nextLink, and every page after it too, always the same token. */
    endlessNextLink?: boolean;
    /**
     * Faults a client must not take for the end of the list: asked for page `page` (0-based), the
     * fake answers page `as` again, items and nextLink (`as` = page - 1 hands back the token just
     * sent; an earlier page goes backwards). `dropNextLink` ends the listing at page `page` instead.
     */
    replay?: { page: number; as?: number; dropNextLink?: boolean; times?: number };
  };
  /** Workspaces that exist (workspace and table GETs); default: any workspace, with DEFAULT_WORKSPACE_TABLES. */
  workspaces?: FakeWorkspace[];
  /** The caller's permissions on any workspace (default SENTINEL_CONTRIBUTOR_PERMISSIONS). */
  permissions?: FakePermission[];
}

export interface IndicatorResource {
  id: string;
  name: string;
  etag: string;
  type: string;
  kind: 'indicator';
  properties: Record<string, unknown>;
}

export interface SavedSearchResource {
  id: string;
  name: string;
  etag: string;
  type: string;
  properties: Record<string, unknown>;
}

export interface ArmFake {
  /** `https://127.0.0.1:<port>`: the AZURE_RESOURCE_MANAGER_ENDPOINT. */
  url: string;
  /** PEM to trust (tlsOptions.ca or NODE_EXTRA_CA_CERTS). */
  ca: string;
  token: string;
  /** The IDENTITY_ENDPOINT when `msiHeader` was given. */
  msiEndpoint?: string;
  msiRequests: { path: string; query: Record<string, string>; status: number }[];
  requests: RecordedArmRequest[];
  /** Writes received (throttled or failed ones included). */
  writes(): RecordedArmRequest[];
  /** Most requests the fake was answering at the same time. */
  maxInFlight(): number;
  /** Indicators by name, in creation order. */
  indicators: Map<string, IndicatorResource>;
  /** Saved searches of every workspace; `get` and `keys` take and give bare lower-case ids. */
  savedSearches: Map<string, SavedSearchResource>;
  /** One workspace's view, by `resourceGroup/name` (any subscription) or full resource id. */
  workspace(ref: string): {
    customerId: string;
    indicators(): IndicatorResource[];
    savedSearches(): SavedSearchResource[];
  };
  /**
   * Lands an object the upload API accepted in its workspace's store, updating the indicator with
   * the same `externalId` (STIX id) when the object is newer; undefined when no workspace has that customerId.
   */
  knowsCustomerId(customerId: string): boolean;
  ingestUploaded(
    customerId: string,
    properties: Record<string, unknown> & { externalId: string; lastUpdatedTimeUtc: string },
  ): IndicatorResource | 'stale' | undefined;
  failNext(rule: FaultRule): void;
  /** A fault for every matching request until cleared. */
  failAlways(rule: Omit<FaultRule, 'times'>): void;
  clearFaults(): void;
  /**
   * Puts an indicator straight into the store (e.g. one left by someone else); returns its name.
   * A `created` among the properties is kept (one written by an earlier run), else it is now.
   */
  seedIndicator(properties: object, workspaceResourceId?: string): string;
  /**
   * Freezes the threat-intelligence metrics at what the store holds now: from here on `…/metrics`
   * answers these counts, with this moment as `lastUpdatedTimeUtc`, however the store changes
   * (the service computes its metrics now and then, so they lag behind creates and deletes).
   * Until called, the metrics are computed at each request. `at` says when the service computed
   * them (default now): a later time stands for metrics computed while a client was reading.
   */
  snapshotMetrics(at?: Date): void;
  /** Number of 429s the token bucket answered. */
  throttled(): number;
  /** Requests and answers that broke the OpenAPI contract, one line each. */
  contractViolations: string[];
  clearRequests(): void;
  close(): Promise<void>;
}

interface HttpError {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const httpError = (status: number, code: string, message: string, headers?: Record<string, string>): HttpError => ({
  status,
  code,
  message,
  headers,
});

const TI_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)\/providers\/microsoft\.securityinsights\/threatintelligence\/main\/(createindicator|queryindicators|indicators|metrics)(?:\/([^/]+))?\/?$/i;
const WORKSPACE_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)(\/tables(?:\/([^/]+))?)?\/?$/i;
const PERMISSIONS_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)\/providers\/microsoft\.authorization\/permissions\/?$/i;
const SAVED_SEARCH_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)\/savedsearches(?:\/([^/]+))?\/?$/i;

/** The service's date spelling: seven fractional digits. */
function serviceDate(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  const d = new Date(t).toISOString(); // 2026-06-20T13:36:27.000Z
  return `${d.slice(0, 23)}0000Z`;
}

/**
 * A STIX 2.1 pattern, checked the way the service does before storing it: observation
 * expressions in brackets joined by AND/OR/FOLLOWEDBY, comparisons `object-type:path op value`,
 * string literals in single quotes with only `\'` and `\\` escapes.
 */
export function isValidStixPattern(pattern: string): boolean {
  const token =
    /\s*(?:(\[)|(\])|(\()|(\))|('(?:[^'\\]|\\['\\])*')|([a-z0-9][a-z0-9-]*:[a-z0-9_]+(?:\.(?:'[^']*'|[a-z0-9_-]+)|\[(?:\d+|\*)\])*)|(AND|OR|FOLLOWEDBY|NOT|IN|LIKE|MATCHES|ISSUBSET|ISSUPERSET)\b|(!=|<=|>=|=|<|>)|(-?\d+(?:\.\d+)?)|(true|false)\b|([bht]'[^']*'))/iy;
  let pos = 0;
  const tokens: string[] = [];
  while (pos < pattern.length) {
    if (/^\s*$/.test(pattern.slice(pos))) break;
    token.lastIndex = pos;
    const m = token.exec(pattern);
    if (!m) return false;
    const kind = m.slice(1).findIndex((g) => g !== undefined);
    tokens.push(
      ['[', ']', '(', ')', 'str', 'path', 'kw', 'op', 'num', 'bool', 'bin'][kind] +
        (kind === 6 ? `:${m[7].toUpperCase()}` : ''),
    );
    pos = token.lastIndex;
  }
  // Grammar: obs (join obs)*; obs = '[' cmp (AND|OR cmp)* ']'; cmp = path [NOT] op value.
  let i = 0;
  const peek = () => tokens[i];
  const value = () => ['str', 'num', 'bool', 'bin'].includes(peek() ?? '') && (i += 1) > 0;
  const comparison = (): boolean => {
    if (peek() !== 'path') return false;
    i += 1;
    if (peek() === 'kw:NOT') i += 1;
    const op = peek();
    if (op === 'op' || op === 'kw:LIKE' || op === 'kw:MATCHES' || op === 'kw:ISSUBSET' || op === 'kw:ISSUPERSET') {
      i += 1;
      return value();
    }
    if (op === 'kw:IN') {
      i += 1;
      if (peek() !== '(') return false;
      i += 1;
      if (!value()) return false;
      while (peek() === 'str' || peek() === 'num') i += 1;
      return peek() === ')' && (i += 1) > 0;
    }
    return false;
  };
  const observation = (): boolean => {
    if (peek() !== '[') return false;
    i += 1;
    if (!comparison()) return false;
    while (peek() === 'kw:AND' || peek() === 'kw:OR') {
      i += 1;
      if (!comparison()) return false;
    }
    return peek() === ']' && (i += 1) > 0;
  };
  if (!observation()) return false;
  while (peek() === 'kw:AND' || peek() === 'kw:OR' || peek() === 'kw:FOLLOWEDBY') {
    i += 1;
    if (!observation()) return false;
  }
  return i === tokens.length;
}

function validateIndicator(body: unknown): HttpError | undefined {
  const bad = (message: string) => httpError(400, 'BadRequest', message);
  if (!body || typeof body !== 'object') return bad('The request body must be a threat intelligence indicator.');
  const b = body as { kind?: unknown; properties?: Record<string, unknown> };
  if (b.kind !== 'indicator') return bad(`Invalid kind '${String(b.kind)}': expected 'indicator'.`);
  const p = b.properties;
  if (!p || typeof p !== 'object') return bad('Missing properties.');
  for (const field of ['pattern', 'patternType', 'source', 'validFrom']) {
    if (typeof p[field] !== 'string' || !p[field].trim()) return bad(`The ${field} field is required.`);
  }
  if (!isValidStixPattern(p.pattern as string)) return bad(`Invalid STIX pattern: ${String(p.pattern)}`);
  if (Number.isNaN(Date.parse(p.validFrom as string))) return bad('validFrom is not a valid date.');
  if (p.validUntil !== undefined) {
    if (typeof p.validUntil !== 'string' || Number.isNaN(Date.parse(p.validUntil)))
      return bad('validUntil is not a valid date.');
    if (Date.parse(p.validUntil) < Date.parse(p.validFrom as string))
      return bad('validUntil must not be earlier than validFrom.');
  }
  if (
    p.confidence !== undefined &&
    (!Number.isInteger(p.confidence) || (p.confidence as number) < 0 || (p.confidence as number) > 100)
  ) {
    return bad('confidence must be an integer from 0 to 100.');
  }
  return undefined;
}

function validateSavedSearch(body: unknown): HttpError | undefined {
  const bad = (message: string) => httpError(400, 'BadRequest', message);
  if (!body || typeof body !== 'object') return bad('The request body must be a saved search.');
  const p = (body as { properties?: Record<string, unknown> }).properties;
  if (!p || typeof p !== 'object') return bad('Missing properties.');
  for (const field of ['category', 'displayName', 'query']) {
    if (typeof p[field] !== 'string' || !p[field].trim()) return bad(`The ${field} field is required.`);
  }
  if (p.tags !== undefined) {
    if (
      !Array.isArray(p.tags) ||
      p.tags.some((t) => !t || typeof t !== 'object' || typeof t.name !== 'string' || typeof t.value !== 'string')
    ) {
      return bad('tags must be a list of {name, value}.');
    }
  }
  return undefined;
}

/** ARM's write token bucket; rejected clients get successive slots so they do not stampede. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private nextSlot = 0;
  rejected = 0;
  private readonly interval: number;
  constructor(private readonly o: ThrottleOptions) {
    this.tokens = o.burst;
    this.interval = 1000 / (o.perSecond * (o.timeScale ?? 1));
  }
  /** Whole tokens left: what ARM's `x-ms-ratelimit-remaining-subscription-*` header states after a request. */
  remaining(): number {
    return Math.max(0, Math.floor(this.tokens));
  }
  /** undefined when a token was taken; else the real milliseconds to wait. */
  take(): number | undefined {
    const now = performance.now();
    this.tokens = Math.min(this.o.burst, this.tokens + (now - this.last) / this.interval);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    this.rejected += 1;
    const wait = Math.max((1 - this.tokens) * this.interval, this.nextSlot - now);
    this.nextSlot = now + wait + this.interval;
    return wait;
  }
}

const encodeToken = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
interface PageToken {
  offset: number;
  sources?: string[];
  pageSize: number;
  /** queryPaging.emptyPages: this page's empty answer was already given. */
  emptied?: boolean;
}

function decodeToken(token: string): PageToken | undefined {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageToken;
    return Number.isInteger(o.offset) && o.offset >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Saved searches of every workspace, stored as `workspace|id`; `get(id)`, `has(id)` and `keys()` speak bare ids. */
class SavedSearchMap extends Map<string, SavedSearchResource> {
  private static bare(key: string): string {
    return key.slice(key.lastIndexOf('|') + 1);
  }
  get(key: string): SavedSearchResource | undefined {
    if (key.includes('|')) return super.get(key);
    const id = key.toLowerCase();
    for (const [k, v] of super.entries()) if (SavedSearchMap.bare(k) === id) return v;
    return undefined;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  keys(): MapIterator<string> {
    return [...super.keys()].map(SavedSearchMap.bare)[Symbol.iterator]();
  }
}

export async function startArmFake(options: ArmFakeOptions = {}): Promise<ArmFake> {
  const tls = await testCertificate();
  const token = options.token ?? FAKE_ARM_TOKEN;
  const tiVersions = options.tiApiVersions ?? TI_API_VERSIONS;
  const ssVersions = options.savedSearchApiVersions ?? SAVED_SEARCH_API_VERSIONS;
  const maxPage = options.maxPageSize ?? 100;
  // ARM throttles per subscription and operation type: writes and deletes have a bucket each.
  const buckets = new Map<string, TokenBucket>();
  const bucketFor = (sub: string, kind: 'writes' | 'deletes') => {
    if (!options.throttle) return undefined;
    const key = `${sub.toLowerCase()}|${kind}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = new TokenBucket(options.throttle)));
    return b;
  };

  const requests: RecordedArmRequest[] = [];
  const contractViolations: string[] = [];
  const contract = options.contract === false ? undefined : armContract();
  const msiRequests: ArmFake['msiRequests'] = [];
  const indicators = new Map<string, IndicatorResource>();
  const savedSearches = new SavedSearchMap();
  /** Which workspace (lower-case resource id) an indicator lives in; seeded ones without are everywhere. */
  const scope = new WeakMap<IndicatorResource, string>();
  /** `workspace|externalId` → name, so an upload finds the indicator it replaces without a scan. */
  const byExternalId = new Map<string, string>();
  const customerIds = new Map<string, { customerId: string; prefix: string }>();
  const customerIdOf = (prefix: string) => {
    const key = prefix.toLowerCase();
    let entry = customerIds.get(key);
    if (!entry) customerIds.set(key, (entry = { customerId: randomUUID(), prefix }));
    return entry.customerId;
  };
  const visibleIn = (resource: IndicatorResource | undefined, prefix: string): resource is IndicatorResource => {
    if (!resource) return false;
    const home = scope.get(resource);
    return home === undefined || home === prefix.toLowerCase();
  };
  let faults: (FaultRule & { left: number })[] = [];
  let replayed = 0;
  /** snapshotMetrics: the store as it was, and when. */
  let metricsSnapshot: { at: string; indicators: IndicatorResource[] } | undefined;
  let origin = '';

  const workspaceId = (sub: string, rg: string, ws: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${ws}`;

  function storeIndicator(
    prefix: string,
    name: string,
    properties: Record<string, unknown>,
    previous?: IndicatorResource,
    scoped = true,
  ): IndicatorResource {
    const now = serviceDate(new Date().toISOString()) as string;
    const resource: IndicatorResource = {
      id: `${prefix}/providers/Microsoft.SecurityInsights/ThreatIntelligence/${name}`,
      name,
      etag: `"${randomUUID()}"`,
      type: 'Microsoft.SecurityInsights/ThreatIntelligence',
      kind: 'indicator',
      properties: {
        ...properties,
        validFrom: serviceDate(properties.validFrom),
        ...(properties.validUntil !== undefined ? { validUntil: serviceDate(properties.validUntil) } : {}),
        created: previous?.properties.created ?? now,
        lastUpdatedTimeUtc: now,
        externalId: previous?.properties.externalId ?? properties.externalId ?? `indicator--${randomUUID()}`,
        friendlyName: properties.displayName,
      },
    };
    if (properties.lastUpdatedTimeUtc !== undefined)
      resource.properties.lastUpdatedTimeUtc = serviceDate(properties.lastUpdatedTimeUtc);
    if (previous ? scope.has(previous) : scoped)
      scope.set(resource, previous ? scope.get(previous)! : prefix.toLowerCase());
    indicators.set(name, resource);
    // Seeded indicators (no workspace) are seen by every workspace: indexed under `*`.
    byExternalId.set(`${scope.get(resource) ?? '*'}|${String(resource.properties.externalId)}`, name);
    return resource;
  }

  function page<T>(items: T[], offset: number, size: number, next: (offset: number) => string) {
    const slice = items.slice(offset, offset + size);
    const more = offset + size < items.length;
    return { value: slice, ...(more ? { nextLink: next(offset + size) } : {}) };
  }

  /**
   * ThreatIntelligenceMetricsList: the workspace's indicators counted by source, threat type and
   * pattern type, as the service counts them (one entry per distinct value, names as stored).
   */
  function metricsOf(prefix: string) {
    const counted = metricsSnapshot ?? {
      at: serviceDate(new Date().toISOString()) as string,
      indicators: [...indicators.values()],
    };
    const mine = counted.indicators.filter((i) => visibleIn(i, prefix));
    const tally = (keys: (i: IndicatorResource) => unknown[]) => {
      const counts = new Map<string, number>();
      for (const i of mine) for (const k of new Set(keys(i).map(String))) counts.set(k, (counts.get(k) ?? 0) + 1);
      return [...counts].map(([metricName, metricValue]) => ({ metricName, metricValue }));
    };
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
    return {
      value: [
        {
          properties: {
            lastUpdatedTimeUtc: counted.at,
            threatTypeMetrics: tally((i) => list(i.properties.threatTypes)),
            patternTypeMetrics: tally((i) => list(i.properties.patternType)),
            sourceMetrics: tally((i) => list(i.properties.source)),
          },
        },
      ],
    };
  }

  function handleTi(
    method: string,
    m: RegExpExecArray,
    query: Record<string, string>,
    body: unknown,
    apiVersion: string,
  ): [number, unknown] {
    const [, sub, rg, ws, op, name] = m;
    const prefix = workspaceId(sub, rg, ws);
    customerIdOf(prefix); // the workspace exists once addressed
    const base = `${origin}${prefix}/providers/Microsoft.SecurityInsights/threatIntelligence/main`;
    const opName = op.toLowerCase();
    if (opName === 'metrics' && !name) {
      if (method !== 'GET') throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
      return [200, metricsOf(prefix)];
    }
    if (opName === 'createindicator' && !name) {
      if (method !== 'POST') throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
      const invalid = validateIndicator(body);
      if (invalid) throw invalid;
      const b = body as { properties: Record<string, unknown> };
      return [200, storeIndicator(prefix, randomUUID(), b.properties)];
    }
    if (opName === 'indicators' && name) {
      const found = indicators.get(name);
      const existing = visibleIn(found, prefix) ? found : undefined;
      if (method === 'GET') {
        if (!existing) throw httpError(404, 'NotFound', `Threat intelligence indicator '${name}' was not found.`);
        return [200, existing];
      }
      if (method === 'PUT') {
        if (!existing) throw httpError(404, 'NotFound', `Threat intelligence indicator '${name}' was not found.`);
        const invalid = validateIndicator(body);
        if (invalid) throw invalid;
        return [
          200,
          storeIndicator(prefix, name, (body as { properties: Record<string, unknown> }).properties, existing),
        ];
      }
      if (method === 'DELETE') {
        if (!existing) return [204, undefined];
        indicators.delete(name);
        return [200, undefined];
      }
      throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
    }
    if (opName === 'indicators' && method === 'GET') {
      const state = query.$skipToken
        ? decodeToken(query.$skipToken)
        : { offset: 0, pageSize: Number(query.$top) || maxPage };
      if (!state) throw httpError(400, 'BadRequest', 'Invalid $skipToken.');
      const size = Math.min(maxPage, Math.max(1, state.pageSize));
      return [
        200,
        page(
          [...indicators.values()].filter((i) => visibleIn(i, prefix)),
          state.offset,
          size,
          (offset) =>
            `${base}/indicators?api-version=${apiVersion}&$skipToken=${encodeToken({ offset, pageSize: size })}`,
        ),
      ];
    }
    if (opName === 'queryindicators' && (method === 'POST' || method === 'GET')) {
      const criteria = (method === 'POST' ? (body ?? {}) : {}) as {
        sources?: unknown;
        pageSize?: unknown;
        skipToken?: unknown;
      };
      const tokenText =
        typeof criteria.skipToken === 'string' && criteria.skipToken ? criteria.skipToken : query.$skipToken;
      let state: PageToken | undefined;
      if (tokenText) {
        state = decodeToken(tokenText);
        if (!state) throw httpError(400, 'BadRequest', 'Invalid skipToken.');
      } else {
        if (
          criteria.sources !== undefined &&
          (!Array.isArray(criteria.sources) || criteria.sources.some((s) => typeof s !== 'string'))
        ) {
          throw httpError(400, 'BadRequest', 'sources must be a list of strings.');
        }
        state = {
          offset: 0,
          sources: criteria.sources as string[] | undefined,
          pageSize: typeof criteria.pageSize === 'number' ? criteria.pageSize : maxPage,
        };
      }
      const size = Math.min(maxPage, Math.max(1, state.pageSize));
      const sources = state.sources?.map((s) => s.toLowerCase());
      const matching = [...indicators.values()].filter(
        (i) =>
          visibleIn(i, prefix) &&
          (!sources?.length || sources.includes(String(i.properties.source ?? '').toLowerCase())),
      );
      const link = (t: PageToken) => `${base}/queryIndicators?api-version=${apiVersion}&$skipToken=${encodeToken(t)}`;
      const quirks = options.queryPaging;
      if (quirks?.emptyPages?.includes(Math.floor(state.offset / size)) && !state.emptied) {
        return [200, { value: [], nextLink: link({ ...state, pageSize: size, emptied: true }) }];
      }
      const replay = quirks?.replay;
      if (replay && Math.floor(state.offset / size) === replay.page && replayed < (replay.times ?? 1)) {
        replayed += 1;
        const as = replay.as ?? replay.page;
        const answer: { value: IndicatorResource[]; nextLink?: string } = page(matching, as * size, size, (offset) =>
          link({ offset, sources: state.sources, pageSize: size }),
        );
        if (replay.dropNextLink) delete answer.nextLink;
        return [200, answer];
      }
      const answer: { value: IndicatorResource[]; nextLink?: string } = page(matching, state.offset, size, (offset) =>
        link({ offset, sources: state.sources, pageSize: size }),
      );
      if (quirks?.endlessNextLink && !answer.nextLink) {
        answer.nextLink = link({ offset: matching.length, sources: state.sources, pageSize: size });
      }
      return [200, answer];
    }
    throw httpError(404, 'NotFound', `No route for ${method} ${op}.`);
  }

  function handleSavedSearch(method: string, m: RegExpExecArray, body: unknown): [number, unknown] {
    const [, sub, rg, ws, id] = m;
    const prefix = workspaceId(sub, rg, ws);
    customerIdOf(prefix);
    if (!id) {
      if (method !== 'GET') throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
      const mine = `${prefix.toLowerCase()}|`;
      return [200, { value: [...savedSearches.entries()].filter(([k]) => k.startsWith(mine)).map(([, v]) => v) }];
    }
    const key = `${prefix.toLowerCase()}|${id.toLowerCase()}`;
    const existing = savedSearches.get(key);
    if (method === 'GET') {
      if (!existing) throw httpError(404, 'NotFound', `Saved search '${id}' was not found.`);
      return [200, existing];
    }
    if (method === 'PUT') {
      const invalid = validateSavedSearch(body);
      if (invalid) throw invalid;
      const b = body as { etag?: string; properties: Record<string, unknown> };
      if (existing && b.etag !== '*' && b.etag !== existing.etag) {
        throw httpError(
          409,
          'Conflict',
          b.etag
            ? `The etag '${b.etag}' does not match the saved search's current etag.`
            : `Saved search '${id}' already exists: send its etag (or '*') to replace it.`,
        );
      }
      const resource: SavedSearchResource = {
        id: `${prefix}/savedSearches/${id}`,
        name: id,
        etag: `W/"datetime'${encodeURIComponent(serviceDate(new Date().toISOString()) as string)}-${randomUUID().slice(0, 8)}'"`,
        type: 'Microsoft.OperationalInsights/savedSearches',
        properties: { version: 2, ...b.properties },
      };
      savedSearches.set(key, resource);
      return [200, resource];
    }
    if (method === 'DELETE') {
      savedSearches.delete(key);
      return [200, undefined];
    }
    throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
  }

  /** Workspace and table reads: what the preflight check asks before it trusts the workspace. */
  function handleWorkspace(method: string, m: RegExpExecArray): [number, unknown] {
    const [, sub, rg, ws, tablesPath, table] = m;
    if (method !== 'GET') throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
    const known = options.workspaces;
    const found = known
      ? known.find(
          (w) => w.name.toLowerCase() === ws.toLowerCase() && w.resourceGroup.toLowerCase() === rg.toLowerCase(),
        )
      : { resourceGroup: rg, name: ws };
    if (!found) {
      if (known && !known.some((w) => w.resourceGroup.toLowerCase() === rg.toLowerCase())) {
        throw httpError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
      }
      throw httpError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.OperationalInsights/workspaces/${ws}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    const id = workspaceId(sub, found.resourceGroup, found.name);
    const names = found.tables ?? DEFAULT_WORKSPACE_TABLES;
    const tableResource = (name: string) => ({
      id: `${id}/tables/${name}`,
      name,
      type: 'Microsoft.OperationalInsights/workspaces/tables',
      properties: {
        retentionInDays: 90,
        totalRetentionInDays: 90,
        plan: 'Analytics',
        provisioningState: 'Succeeded',
        schema: { name, tableType: 'Microsoft', columns: [], standardColumns: [] },
      },
    });
    // Tables_ListByWorkspace: every table in one answer (the spec's x-ms-pageable has no nextLink).
    if (tablesPath && !table) return [200, { value: names.map(tableResource) }];
    if (!table) {
      return [
        200,
        {
          id,
          name: found.name,
          type: 'Microsoft.OperationalInsights/workspaces',
          location: 'westeurope',
          properties: {
            // A stable GUID per workspace, as the service's customerId is (the upload API's workspace id).
            customerId: customerIdOf(id),
            provisioningState: 'Succeeded',
            sku: { name: 'PerGB2018' },
            retentionInDays: 90,
          },
        },
      ];
    }
    const tableName = names.find((t) => t.toLowerCase() === table.toLowerCase());
    if (!tableName)
      throw httpError(404, 'ResourceNotFound', `The table '${table}' was not found in workspace '${found.name}'.`);
    return [200, tableResource(tableName)];
  }

  function handlePermissions(method: string): [number, unknown] {
    if (method !== 'GET') throw httpError(405, 'MethodNotAllowed', `${method} is not allowed.`);
    const list = options.permissions ?? SENTINEL_CONTRIBUTOR_PERMISSIONS;
    return [
      200,
      {
        value: list.map((p) => ({
          actions: p.actions,
          notActions: p.notActions ?? [],
          dataActions: [],
          notDataActions: [],
        })),
      },
    ];
  }

  function classify(
    method: string,
    path: string,
  ): { operation: ArmOperation; write: boolean; kind: 'ti' | 'ss' | 'ws' | 'perm' | 'none'; m?: RegExpExecArray } {
    const ti = TI_PATH.exec(path);
    if (ti) {
      const op = ti[4].toLowerCase();
      const operation: ArmOperation =
        op === 'createindicator'
          ? 'createIndicator'
          : op === 'queryindicators'
            ? 'queryIndicators'
            : op === 'metrics'
              ? 'metrics'
              : ti[5]
                ? 'indicator'
                : 'listIndicators';
      const write = operation === 'createIndicator' || (operation === 'indicator' && method !== 'GET');
      return { operation, write, kind: 'ti', m: ti };
    }
    const ss = SAVED_SEARCH_PATH.exec(path);
    if (ss) {
      return { operation: ss[4] ? 'savedSearch' : 'listSavedSearches', write: method !== 'GET', kind: 'ss', m: ss };
    }
    const perm = PERMISSIONS_PATH.exec(path);
    if (perm) return { operation: 'permissions', write: method !== 'GET', kind: 'perm', m: perm };
    const ws = WORKSPACE_PATH.exec(path);
    if (ws)
      return {
        operation: ws[5] ? 'table' : ws[4] ? 'listTables' : 'workspace',
        write: method !== 'GET',
        kind: 'ws',
        m: ws,
      };
    return { operation: 'unknown', write: false, kind: 'none' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams.entries());
    const text = await readBody(req);
    let body: unknown;
    let parseError = false;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        parseError = true;
      }
    }
    const { operation, write, kind, m } = classify(method, url.pathname);
    const record: RecordedArmRequest = { method, path: url.pathname, query, body, status: 0, operation, write };
    requests.push(record);

    let specOperation: Parameters<NonNullable<typeof contract>['checkResponse']>[0] | undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const broken = specOperation && contract ? contract.checkResponse(specOperation, status, payload) : [];
      if (broken.length > 0) {
        contractViolations.push(...broken.map((b) => `answer to ${method} ${url.pathname}: ${b}`));
        specOperation = undefined;
        status = 500;
        payload = { error: { code: 'FakeContractViolation', message: broken.join('; ') } };
      }
      record.status = status;
      writeAzureJson(res, status, payload, { ...rateHeaders, ...headers });
    };
    // What ARM says is left of the bucket a write spent, on every answer to it (set once counted).
    let rateHeaders: Record<string, string> = {};
    const sendError = (e: HttpError) => send(e.status, { error: { code: e.code, message: e.message } }, e.headers);

    try {
      if (req.headers.authorization !== `Bearer ${token}`) {
        throw httpError(
          401,
          req.headers.authorization ? 'InvalidAuthenticationToken' : 'AuthenticationFailed',
          req.headers.authorization
            ? 'The access token is invalid.'
            : "Authentication failed. The 'Authorization' header is missing.",
        );
      }
      if (kind === 'none')
        throw httpError(404, 'InvalidResourceType', `The resource type could not be found for ${url.pathname}.`);
      const apiVersion = query['api-version'];
      const supported =
        kind === 'ti'
          ? tiVersions
          : kind === 'ws'
            ? WORKSPACE_API_VERSIONS
            : kind === 'perm'
              ? PERMISSIONS_API_VERSIONS
              : ssVersions;
      if (!apiVersion) {
        throw httpError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      }
      if (!supported.includes(apiVersion)) {
        throw httpError(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(',')}'.`,
        );
      }
      if (parseError)
        throw httpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      const documented =
        kind === 'ti'
          ? CONTRACT_DOCUMENTS.threatIntelligence.apiVersion
          : kind === 'ss'
            ? CONTRACT_DOCUMENTS.savedSearches.apiVersion
            : operation === 'listTables'
              ? CONTRACT_DOCUMENTS.tables.apiVersion
              : undefined;
      if (contract && apiVersion === documented) {
        const verdict = contract.checkRequest({ method, path: url.pathname, query, body, apiVersion });
        if (verdict.errors.length > 0) {
          contractViolations.push(...verdict.errors.map((e) => `${method} ${url.pathname}: ${e}`));
          throw httpError(
            400,
            'InvalidRequestContent',
            `The request does not match the ${apiVersion} API: ${verdict.errors.join('; ')}`,
          );
        }
        specOperation = verdict.operation;
      }

      const rateKind = method === 'DELETE' ? 'deletes' : 'writes';
      const bucket = write ? bucketFor(m![1], rateKind) : undefined;
      // Unthrottled, the fake is a bucket of ARM's size that never drains.
      if (write) rateHeaders = { [`x-ms-ratelimit-remaining-subscription-${rateKind}`]: '199' };
      if (bucket) {
        const waitMs = bucket.take();
        rateHeaders = { [`x-ms-ratelimit-remaining-subscription-${rateKind}`]: String(bucket.remaining()) };
        if (waitMs !== undefined) {
          const scale = options.throttle?.timeScale ?? 1;
          throw httpError(
            429,
            'SubscriptionRequestsThrottled',
            'Number of write requests for subscription exceeded the limit.',
            {
              'retry-after': String(Math.max(1, Math.ceil((waitMs * scale) / 1000))),
              'x-ms-retry-after-ms': String(Math.max(1, Math.ceil(waitMs))),
            },
          );
        }
      }

      const fault = faults.find(
        (f) => f.left > 0 && (!f.match || f.match({ method, path: url.pathname, operation, body })),
      );
      if (fault) {
        fault.left -= 1;
        faults = faults.filter((f) => f.left > 0);
      }
      const faultStatus = fault?.status ?? 503;
      const silent = fault?.hang || fault?.reset;
      // A hung request is left open (close() ends it); a reset cuts the connection.
      const misbehave = () => {
        if (fault?.reset) req.socket.destroy();
      };
      if (silent && !fault?.afterEffect) return misbehave();
      const faultError =
        fault && !silent
          ? httpError(
              faultStatus,
              fault.code ??
                (faultStatus === 429 ? 'TooManyRequests' : faultStatus >= 500 ? 'ServiceUnavailable' : 'BadRequest'),
              fault.message ?? `Injected fault ${fault.status}.`,
              {
                ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
                ...(fault.retryAfterMs !== undefined ? { 'x-ms-retry-after-ms': String(fault.retryAfterMs) } : {}),
              },
            )
          : undefined;
      if (faultError && !fault?.afterEffect) throw faultError;

      const [status, payload] =
        kind === 'ti'
          ? handleTi(method, m!, query, body, apiVersion)
          : kind === 'ws'
            ? handleWorkspace(method, m!)
            : kind === 'perm'
              ? handlePermissions(method)
              : handleSavedSearch(method, m!, body);
      if (silent) return misbehave();
      if (faultError) throw faultError;
      send(status, payload);
    } catch (e) {
      if (e && typeof e === 'object' && 'status' in e && 'code' in e) sendError(e as HttpError);
      else sendError(httpError(500, 'InternalServerError', e instanceof Error ? e.message : String(e)));
    }
  }

  let inFlight = 0;
  let maxInFlight = 0;
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    const run = () =>
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    if (options.latencyMs) setTimeout(run, options.latencyMs);
    else void run();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let msiServer: Server | undefined;
  let msiEndpoint: string | undefined;
  if (options.msiHeader) {
    const secret = options.msiHeader;
    msiServer = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams.entries());
      const reply = (status: number, payload: unknown) => {
        msiRequests.push({ path: url.pathname, query, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (options.msiHang) {
        msiRequests.push({ path: url.pathname, query, status: 0 });
        return; // left open until close()
      }
      if (req.method !== 'GET' || url.pathname !== '/msi/token') return reply(404, { error: 'not_found' });
      if (req.headers['x-identity-header'] !== secret) return reply(401, { error: 'invalid_identity_header' });
      if (query['api-version'] !== '2019-08-01' || !query.resource) return reply(400, { error: 'invalid_request' });
      return reply(200, {
        access_token: options.msiToken ?? token,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource: query.resource,
        token_type: 'Bearer',
      });
    });
    await new Promise<void>((resolve) => msiServer!.listen(0, '127.0.0.1', resolve));
    msiEndpoint = `http://127.0.0.1:${(msiServer.address() as AddressInfo).port}/msi/token`;
  }

  return {
    url: origin,
    ca: tls.ca,
    token,
    msiEndpoint,
    msiRequests,
    requests,
    writes: () => requests.filter((r) => r.write),
    maxInFlight: () => maxInFlight,
    indicators,
    savedSearches,
    failNext(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    failAlways(rule) {
      faults.push({ ...rule, left: Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults = [];
    },
    seedIndicator(properties, workspaceResourceId) {
      const name = randomUUID();
      const resource = storeIndicator(
        workspaceResourceId ?? workspaceId('seed', 'seed', 'seed'),
        name,
        { ...properties },
        undefined,
        workspaceResourceId !== undefined,
      );
      const created = (properties as { created?: unknown }).created;
      if (created !== undefined) resource.properties.created = serviceDate(created);
      return name;
    },
    snapshotMetrics(at = new Date()) {
      metricsSnapshot = { at: serviceDate(at.toISOString()) as string, indicators: [...indicators.values()] };
    },
    workspace(ref) {
      const wanted = ref.toLowerCase();
      const prefix =
        [...customerIds.values()]
          .map((e) => e.prefix)
          .find(
            (p) =>
              p.toLowerCase() === wanted ||
              p
                .toLowerCase()
                .endsWith(
                  `/resourcegroups/${wanted.replace('/', '/providers/microsoft.operationalinsights/workspaces/')}`,
                ),
          ) ?? (ref.startsWith('/subscriptions/') ? ref : undefined);
      if (!prefix) throw new Error(`fake ARM: no workspace ${ref} was addressed`);
      return {
        customerId: customerIdOf(prefix),
        indicators: () => [...indicators.values()].filter((i) => scope.get(i) === prefix.toLowerCase()),
        savedSearches: () =>
          [...savedSearches.entries()].filter(([k]) => k.startsWith(`${prefix.toLowerCase()}|`)).map(([, v]) => v),
      };
    },
    knowsCustomerId: (customerId) => [...customerIds.values()].some((e) => e.customerId === customerId),
    ingestUploaded(customerId, properties) {
      const entry = [...customerIds.values()].find((e) => e.customerId === customerId);
      if (!entry) return undefined;
      const home = entry.prefix.toLowerCase();
      const lookup = (key: string) => {
        const found = indicators.get(byExternalId.get(`${key}|${properties.externalId}`) ?? '');
        return found?.properties.externalId === properties.externalId && visibleIn(found, entry.prefix)
          ? found
          : undefined;
      };
      const previous = lookup(home) ?? lookup('*');
      // STIX versioning: a version no newer than the one held changes nothing.
      if (
        previous &&
        Date.parse(String(previous.properties.lastUpdatedTimeUtc)) >= Date.parse(properties.lastUpdatedTimeUtc)
      )
        return 'stale';
      const resource = storeIndicator(entry.prefix, previous?.name ?? randomUUID(), properties, previous);
      if (previous) resource.properties.created = previous.properties.created;
      else resource.properties.created = serviceDate(properties.created ?? properties.lastUpdatedTimeUtc);
      if (!scope.has(resource)) scope.set(resource, home);
      return resource;
    },
    throttled: () => [...buckets.values()].reduce((n, b) => n + b.rejected, 0),
    contractViolations,
    clearRequests() {
      requests.length = 0;
      msiRequests.length = 0;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (msiServer) {
        msiServer.closeAllConnections?.();
        await new Promise<void>((resolve) => msiServer.close(() => resolve()));
      }
    },
  };
}
