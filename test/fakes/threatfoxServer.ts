import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http';

/**
 * A fake ThreatFox API (POST https://threatfox-api.abuse.ch/api/v1/) on 127.0.0.1, for tests, the CLI
 * end-to-end test and demos. It speaks the real request and answer shapes:
 *
 * - every answer is JSON `{"query_status": "...", "data": ...}`; `data` is an array on `ok` and a
 *   sentence otherwise;
 * - auth as abuse.ch answers today: no `Auth-Key` header → HTTP 401 `{"error":"Unauthorized"}`,
 *   an unknown key → HTTP 403 `{"query_status":"unknown_auth_key"}`, a blacklisted key → HTTP 403
 *   `{"query_status":"user_blacklisted"}`;
 * - `malwareinfo` {malware, limit}: newest first, `limit` defaults to 100 and is capped at 1000,
 *   `illegal_malware` for a family ThreatFox does not know, `no_result` for a known family without IOCs;
 * - `get_iocs` {days}: `days` defaults to 3, must be 1-7 (else `illegal_days`), and filters on
 *   `first_seen` against the fake's "now";
 * - `ioc` {id} (https://threatfox.abuse.ch/api/#query-id): `data` is the one record, an object (with
 *   `malware_samples`, `comment` and `credits`, as ThreatFox adds on this query), or `no_result` for
 *   an id it does not hold; `removeIoc` withdraws one, as ThreatFox does with a false positive;
 * - any other query → `unknown_operation`; a non-POST → `http_post_expected`.
 *
 * Tests script failures with `enqueue` / `failNext` (5xx, 429 + Retry-After, slow answers) and serve
 * malformed records inside a good batch with `injectRaw`.
 */

/** A record exactly as ThreatFox serves it. */
export interface ThreatFoxWireRecord {
  id: string;
  ioc: string;
  threat_type: string;
  threat_type_desc: string;
  ioc_type: string;
  ioc_type_desc: string;
  malware: string;
  malware_printable: string;
  malware_alias: string | null;
  malware_malpedia: string | null;
  confidence_level: number;
  first_seen: string;
  last_seen: string | null;
  reference: string | null;
  reporter: string;
  tags: string[] | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

/** One scripted answer. Without `status` the request is answered normally, after `delayMs`. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless it is a string. */
  body?: unknown;
  delayMs?: number;
}

export interface ThreatFoxFakeOptions {
  /** Keys the fake accepts (default: [FAKE_AUTH_KEY]). */
  authKeys?: string[];
  /** Keys ThreatFox has blacklisted. */
  blacklistedKeys?: string[];
  /** Records served (default: seedRecords()). Raw, so a test can seed a malformed one. */
  records?: readonly unknown[];
  /** Families ThreatFox knows that have no IOCs (malwareinfo answers `no_result`, not `illegal_malware`). */
  knownMalware?: string[];
  /** The fake's clock for `get_iocs` (default: SEED_NOW). */
  now?: Date;
}

export interface ThreatFoxFake {
  /** The API URL to configure as THREATFOX_API_URL. */
  url: string;
  /** Every request received, scripted or not, in order. */
  requests: RecordedRequest[];
  /** Answers the next requests with these, one each, before answering normally again. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** The next `times` requests fail with `status` (default 503). */
  failNext(times: number, status?: number, headers?: Record<string, string>): void;
  /** Withdraws the record with this ThreatFox id: no query returns it any more (`ioc` answers `no_result`). */
  removeIoc(id: string | number): void;
  /** Appends these raw records, verbatim, to every `ok` answer. */
  injectRaw(...records: unknown[]): void;
  setNow(now: Date): void;
  close(): Promise<void>;
}

export const FAKE_AUTH_KEY = 'fake-threatfox-auth-key-0123456789abcdef';
/** The day after the newest seed IOC: `get_iocs` with days=2 returns the seed reports' June IOCs. */
export const SEED_NOW = new Date('2026-06-21T00:00:00Z');

export const NETSUPPORT = 'win.netsupportmanager_rat';
export const COBALT_STRIKE = 'win.cobalt_strike';

const API_PATH = '/api/v1/';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const DEFAULT_DAYS = 3;
const DAY_MS = 86_400_000;
const NO_RESULT = 'Your search did not yield any results';

const THREAT_TYPE_DESC: Record<string, string> = {
  botnet_cc: 'Indicator that identifies a botnet command&control server (C&C)',
  payload_delivery: 'Indicator that identifies a malware distribution server (payload delivery)',
  payload: 'Indicator that identifies a malware sample (payload)',
};

const IOC_TYPE_DESC: Record<string, string> = {
  'domain/botnet_cc': 'Domain that is used for botnet Command&control (C&C)',
  'domain/payload_delivery': 'Domain that is used for payload delivery',
  'url/botnet_cc': 'URL that is used for botnet Command&control (C&C)',
  'url/payload_delivery': 'URL that is used for payload delivery',
  'ip:port/botnet_cc': 'ip:port combination that is used for botnet Command&control (C&C)',
  'ip:port/payload_delivery': 'ip:port combination that is used for payload delivery',
  'sha256_hash/payload': 'SHA256 hash of a malware sample',
  'md5_hash/payload': 'MD5 hash of a malware sample',
};

interface Family {
  malware: string;
  printable: string;
  alias: string | null;
}

const FAMILIES: Record<string, Family> = {
  [NETSUPPORT]: { malware: NETSUPPORT, printable: 'NetSupportManager RAT', alias: 'NetSupport RAT' },
  [COBALT_STRIKE]: {
    malware: COBALT_STRIKE,
    printable: 'Cobalt Strike',
    alias: 'Agentemis,BEACON,CobaltStrike,cobeacon',
  },
};

type SeedRow = [
  id: number,
  iocType: string,
  ioc: string,
  threatType: string,
  confidence: number,
  firstSeen: string,
  tags: string[] | null,
];

function record(
  family: Family,
  [id, iocType, ioc, threatType, confidence, firstSeen, tags]: SeedRow,
  extra: Partial<ThreatFoxWireRecord> = {},
): ThreatFoxWireRecord {
  return {
    id: String(id),
    ioc,
    threat_type: threatType,
    threat_type_desc: THREAT_TYPE_DESC[threatType],
    ioc_type: iocType,
    ioc_type_desc: IOC_TYPE_DESC[`${iocType}/${threatType}`],
    malware: family.malware,
    malware_printable: family.printable,
    malware_alias: family.alias,
    malware_malpedia: `https://malpedia.caad.fkie.fraunhofer.de/details/${family.malware}`,
    confidence_level: confidence,
    first_seen: `${firstSeen} UTC`,
    last_seen: null,
    reference: null,
    reporter: 'abuse_ch',
    tags,
    ...extra,
  };
}

const RAT = ['NetSupport', 'RAT'];
const CLICKFIX = ['NetSupport', 'ClickFix'];

/** The 21 IOCs of the NetSupportManager RAT reports in shared/seeds, refanged as ThreatFox serves them. */
const NETSUPPORT_ROWS: SeedRow[] = [
  [1580112, 'domain', 'node54group.com', 'botnet_cc', 100, '2026-06-20 09:12:44', RAT],
  [1580075, 'domain', 'node66group.pro', 'botnet_cc', 100, '2026-06-20 09:12:45', RAT],
  [1580038, 'url', 'http://google2oauth.com/google.txt', 'payload_delivery', 100, '2026-06-20 07:41:03', CLICKFIX],
  [1580001, 'domain', 'google2oauth.com', 'payload_delivery', 100, '2026-06-20 07:41:02', CLICKFIX],
  [1579964, 'ip:port', '172.93.185.254:80', 'payload_delivery', 100, '2026-06-20 07:41:04', ['NetSupport']],
  [1579927, 'url', 'https://beroniw.com/hwkOP5', 'payload_delivery', 100, '2026-06-19 18:02:11', CLICKFIX],
  [1579890, 'url', 'http://91.92.34.228/test22.txt', 'payload_delivery', 100, '2026-06-19 18:02:12', CLICKFIX],
  [1579853, 'domain', 'golviewcheckus.com', 'payload_delivery', 100, '2026-06-19 18:02:13', CLICKFIX],
  [1579816, 'domain', 'tiqwtkmma.com', 'botnet_cc', 100, '2026-06-19 12:30:51', RAT],
  [1579779, 'domain', 'zbxcgtqt.com', 'botnet_cc', 100, '2026-06-19 12:30:52', RAT],
  [1579742, 'domain', 'beroniw.com', 'payload_delivery', 100, '2026-06-19 18:02:10', CLICKFIX],
  [1579705, 'ip:port', '91.92.34.228:80', 'payload_delivery', 100, '2026-06-19 18:02:14', ['NetSupport']],
  [1579668, 'ip:port', '91.202.233.25:4888', 'botnet_cc', 99, '2026-05-27 14:20:01', RAT],
  [1579631, 'ip:port', '209.99.186.75:443', 'botnet_cc', 99, '2026-05-27 14:20:02', RAT],
  [1579594, 'ip:port', '5.252.177.201:443', 'botnet_cc', 99, '2026-05-27 14:20:03', RAT],
  [1579557, 'domain', 'feersona.net', 'botnet_cc', 99, '2026-05-27 14:20:04', RAT],
  [1579520, 'domain', 'bryonsad.net', 'botnet_cc', 99, '2026-05-27 14:20:05', RAT],
  [1579483, 'ip:port', '193.202.84.64:581', 'botnet_cc', 99, '2026-05-27 14:20:06', RAT],
  [1579446, 'ip:port', '194.180.191.223:443', 'botnet_cc', 99, '2026-05-27 14:20:07', RAT],
  [1579409, 'ip:port', '65.109.104.71:443', 'botnet_cc', 99, '2026-05-27 14:20:08', RAT],
  [1579372, 'ip:port', '94.23.185.83:9606', 'botnet_cc', 75, '2026-05-27 14:20:09', RAT],
];

/** Another family, so "keep only the configured families" has something to drop. Documentation-range values. */
const COBALT_STRIKE_ROWS: Array<[SeedRow, Partial<ThreatFoxWireRecord>]> = [
  [
    [1580150, 'ip:port', '198.51.100.23:8443', 'botnet_cc', 75, '2026-06-20 11:05:00', ['CobaltStrike', 'c2']],
    { last_seen: '2026-06-20 19:40:12 UTC' },
  ],
  [
    [1580149, 'url', 'https://203.0.113.77/jquery-3.3.1.min.js', 'botnet_cc', 75, '2026-06-20 11:04:59', null],
    { reference: 'https://example.com/reports/cobalt-strike-c2' },
  ],
  [
    [
      1580148,
      'sha256_hash',
      '4d1c0fd5a1f3c4b2e7a9d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6',
      'payload',
      80,
      '2026-06-20 10:59:31',
      ['CobaltStrike'],
    ],
    {},
  ],
  [[1579000, 'domain', 'beacon-cdn.example.com', 'botnet_cc', 50, '2026-05-30 08:00:00', ['CobaltStrike']], {}],
];

/** ThreatFox-format records: the NetSupportManager RAT seed IOCs plus four Cobalt Strike ones. Fresh copies each call. */
export function seedRecords(): ThreatFoxWireRecord[] {
  return [
    ...NETSUPPORT_ROWS.map((row) => record(FAMILIES[NETSUPPORT], row)),
    ...COBALT_STRIKE_ROWS.map(([row, extra]) => record(FAMILIES[COBALT_STRIKE], row, extra)),
  ];
}

const field = (raw: unknown, name: string): unknown =>
  raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined;

/** ThreatFox's `YYYY-MM-DD HH:MM:SS UTC` as epoch ms, or NaN. */
function seenAt(raw: unknown): number {
  const v = field(raw, 'first_seen');
  return typeof v === 'string' ? Date.parse(v.replace(' UTC', 'Z').replace(' ', 'T')) : Number.NaN;
}

const newestFirst = (a: unknown, b: unknown) =>
  seenAt(b) - seenAt(a) || Number(field(b, 'id')) - Number(field(a, 'id'));

/** A whole number from a JSON number or numeric string, as the PHP behind ThreatFox accepts both. */
function wholeNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startThreatFoxFake(options: ThreatFoxFakeOptions = {}): Promise<ThreatFoxFake> {
  const authKeys = new Set(options.authKeys ?? [FAKE_AUTH_KEY]);
  const blacklisted = new Set(options.blacklistedKeys ?? []);
  let records: readonly unknown[] = options.records ?? seedRecords();
  let now = options.now ?? SEED_NOW;
  const script: ScriptedResponse[] = [];
  const injected: unknown[] = [];
  const requests: RecordedRequest[] = [];

  const knownFamilies = new Set((options.knownMalware ?? []).map((m) => m.toLowerCase()));
  for (const r of records) {
    for (const name of ['malware', 'malware_printable']) {
      const v = field(r, name);
      if (typeof v === 'string') knownFamilies.add(v.toLowerCase());
    }
  }

  const ok = (data: unknown[]) =>
    data.length === 0
      ? { query_status: 'no_result', data: NO_RESULT }
      : { query_status: 'ok', data: [...data, ...injected] };

  /** The answer ThreatFox gives to an authenticated POST body. */
  function answer(body: unknown): object {
    const query = field(body, 'query');
    if (query === 'malwareinfo') {
      const malware = field(body, 'malware');
      if (typeof malware !== 'string' || !knownFamilies.has(malware.trim().toLowerCase())) {
        return { query_status: 'illegal_malware', data: 'The malware you have provided is unknown' };
      }
      const wanted = malware.trim().toLowerCase();
      const requested = wholeNumber(field(body, 'limit'));
      const limit = requested === undefined || requested < 1 ? DEFAULT_LIMIT : Math.min(requested, MAX_LIMIT);
      const matches = records.filter((r) =>
        ['malware', 'malware_printable'].some((name) => String(field(r, name)).toLowerCase() === wanted),
      );
      return ok([...matches].sort(newestFirst).slice(0, limit));
    }
    if (query === 'ioc') {
      const id = wholeNumber(field(body, 'id'));
      const found = id === undefined ? undefined : records.find((r) => String(field(r, 'id')) === String(id));
      if (!found || typeof found !== 'object') return { query_status: 'no_result', data: NO_RESULT };
      return {
        query_status: 'ok',
        data: {
          ...found,
          malware_samples: [],
          comment: null,
          credits: [{ credits_from: 'abuse_ch', credits_amount: 5 }],
        },
      };
    }
    if (query === 'get_iocs') {
      const given = field(body, 'days');
      const days = given === undefined ? DEFAULT_DAYS : wholeNumber(given);
      if (days === undefined || days < 1 || days > 7) {
        return { query_status: 'illegal_days', data: 'Days must be a number between 1 and 7' };
      }
      const to = now.getTime();
      const from = to - days * DAY_MS;
      return ok(records.filter((r) => seenAt(r) >= from && seenAt(r) <= to).sort(newestFirst));
    }
    return { query_status: 'unknown_operation', data: 'Unknown query' };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as text: ThreatFox answers it as an unknown query
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });

      const scripted = script.shift();
      if (scripted?.delayMs) await sleep(scripted.delayMs);
      if (res.destroyed) return; // the client gave up (timeout)
      if (scripted?.status !== undefined) {
        send(res, scripted.status, scripted.body ?? '', scripted.headers);
        return;
      }
      if ((req.url ?? '').split('?')[0] !== API_PATH) {
        send(res, 404, { error: 'Not Found' });
        return;
      }
      const key = req.headers['auth-key'];
      if (typeof key !== 'string' || key === '') {
        send(res, 401, { error: 'Unauthorized' });
        return;
      }
      if (blacklisted.has(key)) {
        send(res, 403, { query_status: 'user_blacklisted' });
        return;
      }
      if (!authKeys.has(key)) {
        send(res, 403, { query_status: 'unknown_auth_key' });
        return;
      }
      if (req.method !== 'POST') {
        send(res, 200, { query_status: 'http_post_expected' });
        return;
      }
      send(res, 200, answer(body));
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(err) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${API_PATH}`,
    requests,
    enqueue: (...responses) => void script.push(...responses),
    failNext: (times, status = 503, headers = {}) => {
      for (let i = 0; i < times; i++) script.push({ status, headers, body: { error: `HTTP ${status}` } });
    },
    removeIoc: (id) => {
      records = records.filter((r) => String(field(r, 'id')) !== String(id));
    },
    injectRaw: (...raw) => void injected.push(...raw),
    setNow: (date) => {
      now = date;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
