import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isValidStixPattern, TokenBucket, type ArmFake } from './armServer';
import { testCertificate } from './tls';
import { readBody, writeAzureJson } from './http';

/**
 * A fake of Microsoft Sentinel's STIX objects upload API over HTTPS on 127.0.0.1, as documented in
 * "Import threat intelligence to Microsoft Sentinel with the upload API" (api-version 2024-02-01-preview):
 *
 * - `POST /workspaces/{workspaceId}/threat-intelligence-stix-objects:upload?api-version=…`, where
 *   workspaceId is a workspace's customerId as the fake ARM hands it out (404 for any other);
 * - a bearer JWT whose audience is ARM's (`https://management.azure.com[/]` or
 *   `https://management.core.windows.net[/]`), 401 otherwise;
 * - body `{"sourcesystem", "stixobjects"}`: 400 when malformed, over 100 objects, or sourcesystem
 *   is the reserved `Microsoft Sentinel`;
 * - 200 with an empty body when every object is taken; 200 with `{"errors": [{recordIndex,
 *   errorMessages}]}` naming those refused (the rest are taken);
 * - a per-user limit of requests a minute (a token bucket; 100 a minute as documented, burst
 *   and clock speed adjustable for the bench), answered 429 with `Retry-After` and the service's
 *   `{"statusCode": 429, "message": "Rate limit is exceeded. Try again in N seconds."}`.
 *
 * Indicators it takes land in the fake ARM's store of that workspace (same STIX id = same
 * indicator, a newer `modified` replaces it), so queryIndicators reads them back like Sentinel does.
 * Faults: `failNext` (a status, or a dropped connection, for the next matching requests, optionally
 * after the batch took effect, i.e. a lost answer; a 429 may name its wait in its message only)
 * and `rejectObjects` (per-object refusals).
 */

export const UPLOAD_API_VERSIONS = ['2024-02-01-preview'];
export const ACCEPTED_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
];

/** An unsigned token that carries just an audience: enough for the fake to check who it was issued for. */
export function fakeJwt(audience: string, extra: Record<string, unknown> = {}): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: audience, exp: Math.floor(Date.now() / 1000) + 3600, ...extra })}.`;
}

/** The token's audience and caller (object id, else subject), or undefined for no usable token. */
function claimsOf(authorization: string | undefined): { audience: string; caller: string } | undefined {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]*)$/.exec(authorization ?? '');
  if (!m) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as {
      aud?: unknown;
      exp?: unknown;
      oid?: unknown;
      sub?: unknown;
    };
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return undefined;
    if (typeof claims.aud !== 'string') return undefined;
    const caller =
      typeof claims.oid === 'string' ? claims.oid : typeof claims.sub === 'string' ? claims.sub : 'unknown';
    return { audience: claims.aud, caller };
  } catch {
    return undefined;
  }
}

export interface UploadRequestRecord {
  workspaceId: string;
  status: number;
  /** Objects in the request (as sent). */
  objects: Record<string, unknown>[];
  /** Indexes refused in the answer. */
  refused: number[];
}

export interface UploadFaultRule {
  status: number;
  times?: number;
  /** Let the batch land, then answer the fault: the client never learns it succeeded. */
  afterEffect?: boolean;
  retryAfterSeconds?: number;
  /** A 429's message, in the service's 429 body (`{"statusCode": 429, "message"}`), e.g. "Try again in N seconds." */
  message?: string;
  /** Drop the connection instead of answering (a reset; `status` is not sent). */
  reset?: boolean;
}

export interface UploadFakeOptions {
  /** Requests a minute per user (documented: 100). */
  perMinute?: number;
  /** Requests allowed at once before the rate applies (default perMinute). */
  burst?: number;
  /** The throttle's clock runs this many times faster than real time (bench). */
  timeScale?: number;
  latencyMs?: number;
  maxObjects?: number;
}

export interface UploadFake {
  url: string;
  ca: string;
  requests: UploadRequestRecord[];
  failNext(rule: UploadFaultRule): void;
  /** Refuse every object matching, with this message, until cleared. */
  rejectObjects(match: (o: Record<string, unknown>) => boolean, message: string): void;
  clearFaults(): void;
  /** Number of 429s the rate limit answered. */
  throttled(): number;
  close(): Promise<void>;
}

const isTime = (v: unknown) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v));

/** The service's checks of one STIX indicator; messages in its wording. */
function objectErrors(o: unknown): string[] {
  if (!o || typeof o !== 'object' || Array.isArray(o))
    return ['Error for Property=object: The STIX object must be a JSON object.'];
  const x = o as Record<string, unknown>;
  const errors: string[] = [];
  const missing = (p: string) =>
    errors.push(`Error for Property=${p}: Required property is missing. Actual value: NULL.`);
  for (const p of ['id', 'type', 'created', 'modified']) if (x[p] === undefined || x[p] === null) missing(p);
  if (x.type !== undefined && x.type !== 'indicator')
    errors.push(`Error for Property=type: Unsupported type. Actual value: ${String(x.type)}.`);
  if (
    typeof x.id === 'string' &&
    !/^indicator--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(x.id)
  ) {
    errors.push(`Error for Property=id: Invalid STIX identifier. Actual value: ${x.id}.`);
  }
  if (x.spec_version !== undefined && x.spec_version !== '2.1' && x.spec_version !== '2.0')
    errors.push('Error for Property=spec_version: Only 2.0 and 2.1 are supported.');
  for (const p of ['created', 'modified', 'valid_from', 'valid_until']) {
    if (x[p] !== undefined && !isTime(x[p]))
      errors.push(`Error for Property=${p}: Invalid timestamp. Actual value: ${String(x[p])}.`);
  }
  if (isTime(x.created) && isTime(x.modified) && Date.parse(x.modified as string) < Date.parse(x.created as string)) {
    errors.push('Error for Property=modified: modified must be later than or equal to created.');
  }
  if (x.pattern === undefined) missing('pattern');
  else if (typeof x.pattern !== 'string' || !isValidStixPattern(x.pattern))
    errors.push(`Error for Property=pattern: Invalid STIX pattern. Actual value: ${String(x.pattern)}.`);
  if (x.pattern_type === undefined) missing('pattern_type');
  else if (x.pattern_type !== 'stix')
    errors.push(
      `Error for Property=pattern_type: Only stix patterns are indexed. Actual value: ${String(x.pattern_type)}.`,
    );
  if (x.valid_from === undefined) missing('valid_from');
  if (
    isTime(x.valid_from) &&
    isTime(x.valid_until) &&
    Date.parse(x.valid_until as string) <= Date.parse(x.valid_from as string)
  ) {
    errors.push('Error for Property=valid_until: valid_until must be greater than valid_from.');
  }
  if (
    x.confidence !== undefined &&
    (!Number.isInteger(x.confidence) || (x.confidence as number) < 0 || (x.confidence as number) > 100)
  ) {
    errors.push(
      `Error for Property=confidence: Must be an integer from 0 to 100. Actual value: ${String(x.confidence)}.`,
    );
  }
  for (const p of ['labels', 'indicator_types']) {
    if (x[p] !== undefined && (!Array.isArray(x[p]) || (x[p] as unknown[]).some((v) => typeof v !== 'string')))
      errors.push(`Error for Property=${p}: Must be a list of strings.`);
  }
  return errors;
}

/** What Sentinel shows on the ARM side for an uploaded indicator. */
function armProperties(
  o: Record<string, unknown>,
  source: string,
): Record<string, unknown> & { externalId: string; lastUpdatedTimeUtc: string } {
  const pattern = o.pattern as string;
  const objectType = /\[\s*([a-z0-9-]+):/i.exec(pattern)?.[1]?.toLowerCase();
  const kill = (o.kill_chain_phases as { kill_chain_name?: string; phase_name?: string }[] | undefined) ?? [];
  const refs =
    (o.external_references as
      { source_name?: string; external_id?: string; url?: string; description?: string }[] | undefined) ?? [];
  const props: Record<string, unknown> & { externalId: string; lastUpdatedTimeUtc: string } = {
    source,
    pattern,
    patternType: objectType,
    validFrom: o.valid_from,
    externalId: o.id as string,
    created: o.created,
    lastUpdatedTimeUtc: o.modified as string,
  };
  if (o.name !== undefined) props.displayName = o.name;
  if (o.description !== undefined) props.description = o.description;
  if (o.indicator_types !== undefined) props.threatTypes = o.indicator_types;
  if (o.labels !== undefined) props.labels = o.labels;
  if (o.valid_until !== undefined) props.validUntil = o.valid_until;
  if (o.confidence !== undefined) props.confidence = o.confidence;
  if (o.revoked !== undefined) props.revoked = o.revoked;
  if (kill.length)
    props.killChainPhases = kill.map((k) => ({ killChainName: k.kill_chain_name, phaseName: k.phase_name }));
  if (refs.length) {
    props.externalReferences = refs.map((r) => ({
      sourceName: r.source_name,
      ...(r.external_id !== undefined ? { externalId: r.external_id } : {}),
      ...(r.url !== undefined ? { url: r.url } : {}),
      ...(r.description !== undefined ? { description: r.description } : {}),
    }));
  }
  return props;
}

const PATH = /^\/workspaces\/([^/]+)\/threat-intelligence-stix-objects:upload$/;

export async function startTiUploadFake(arm: ArmFake, options: UploadFakeOptions = {}): Promise<UploadFake> {
  const tls = await testCertificate();
  const perMinute = options.perMinute ?? 100;
  const maxObjects = options.maxObjects ?? 100;
  const throttle = { burst: options.burst ?? perMinute, perSecond: perMinute / 60, timeScale: options.timeScale ?? 1 };
  /** Limits apply per user: one bucket per caller (the token's oid or sub), however many tokens it gets. */
  const buckets = new Map<string, TokenBucket>();
  const requests: UploadRequestRecord[] = [];
  let faults: (UploadFaultRule & { left: number })[] = [];
  let rejections: { match: (o: Record<string, unknown>) => boolean; message: string }[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const text = await readBody(req);
    const record: UploadRequestRecord = { workspaceId: '', status: 0, objects: [], refused: [] };
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      writeAzureJson(res, status, payload, headers);
    };
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { error: { code, message } }, headers);

    const m = PATH.exec(url.pathname);
    if (!m || req.method !== 'POST') return fail(404, 'NotFound', `No route for ${req.method} ${url.pathname}.`);
    record.workspaceId = m[1];
    requests.push(record);
    const claims = claimsOf(req.headers.authorization);
    if (!claims) return fail(401, 'Unauthorized', 'A valid bearer token is required.');
    if (!ACCEPTED_AUDIENCES.includes(claims.audience))
      return fail(401, 'InvalidAudience', `The token audience '${claims.audience}' is not accepted.`);
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion || !UPLOAD_API_VERSIONS.includes(apiVersion))
      return fail(400, 'InvalidApiVersion', `Unsupported api-version '${apiVersion ?? ''}'.`);

    let bucket = buckets.get(claims.caller);
    if (!bucket) buckets.set(claims.caller, (bucket = new TokenBucket(throttle)));
    const waitMs = bucket.take();
    if (waitMs !== undefined) {
      // Like the fake ARM: Retry-After in the service's (scaled) seconds, x-ms-retry-after-ms in real time.
      const seconds = Math.max(1, Math.ceil((waitMs * throttle.timeScale) / 1000));
      record.status = 429;
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(seconds),
        'x-ms-retry-after-ms': String(Math.ceil(waitMs)),
      });
      res.end(JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${seconds} seconds.` }));
      return;
    }

    let body: { sourcesystem?: unknown; stixobjects?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return fail(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    if (typeof body?.sourcesystem !== 'string' || !body.sourcesystem.trim())
      return fail(400, 'BadRequest', 'sourcesystem is required.');
    if (body.sourcesystem.trim().toLowerCase() === 'microsoft sentinel')
      return fail(400, 'BadRequest', "The sourcesystem value 'Microsoft Sentinel' is restricted.");
    if (!Array.isArray(body.stixobjects) || body.stixobjects.length === 0)
      return fail(400, 'BadRequest', 'stixobjects must be a non-empty array.');
    if (body.stixobjects.length > maxObjects)
      return fail(
        400,
        'BadRequest',
        `At most ${maxObjects} STIX objects per request (got ${body.stixobjects.length}).`,
      );
    record.objects = body.stixobjects as Record<string, unknown>[];

    // The workspace must exist: the fake ARM knows it by customerId.
    if (!arm.knowsCustomerId(record.workspaceId)) {
      return fail(404, 'NotFound', `Workspace '${record.workspaceId}' was not found.`);
    }

    const fault = faults.find((f) => f.left > 0);
    if (fault) {
      fault.left -= 1;
      faults = faults.filter((f) => f.left > 0);
    }
    const faultAnswer = () => {
      if (fault!.reset) {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      const headers =
        fault!.retryAfterSeconds !== undefined ? { 'retry-after': String(fault!.retryAfterSeconds) } : undefined;
      if (fault!.status === 429 && fault!.message !== undefined)
        return send(429, { statusCode: 429, message: fault!.message }, headers);
      return fail(
        fault!.status,
        fault!.status === 429 ? 'TooManyRequests' : fault!.status >= 500 ? 'ServiceUnavailable' : 'BadRequest',
        `Injected fault ${fault!.status}.`,
        headers,
      );
    };
    if (fault && !fault.afterEffect) return faultAnswer();

    const errors: { recordIndex: number; errorMessages: string[] }[] = [];
    body.stixobjects.forEach((o, recordIndex) => {
      const messages = objectErrors(o);
      const scripted = rejections.find((r) => o && typeof o === 'object' && r.match(o as Record<string, unknown>));
      if (scripted) messages.push(scripted.message);
      if (messages.length > 0) {
        errors.push({ recordIndex, errorMessages: messages });
        return;
      }
      arm.ingestUploaded(
        record.workspaceId,
        armProperties(o as Record<string, unknown>, (body.sourcesystem as string).trim()),
      );
    });
    record.refused = errors.map((e) => e.recordIndex);
    if (fault) return faultAnswer();
    if (errors.length > 0) return send(200, { errors });
    return send(200);
  }

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const run = () =>
      handle(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'InternalServerError', message: e instanceof Error ? e.message : String(e) },
          }),
        );
      });
    if (options.latencyMs) setTimeout(run, options.latencyMs);
    else void run();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    ca: tls.ca,
    requests,
    failNext(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    rejectObjects(match, message) {
      rejections.push({ match, message });
    },
    clearFaults() {
      faults = [];
      rejections = [];
    },
    throttled: () => [...buckets.values()].reduce((n, b) => n + b.rejected, 0),
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
