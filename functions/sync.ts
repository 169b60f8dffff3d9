import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { MAX_REQUEST_BYTES, parseSyncRequest, runOnDemand } from '../lib/jobs/onDemand';
import { checkAnswer, isCheckRequest } from '../lib/jobs/check';
import { appEnv } from '../lib/config';
import { onDemandDeps } from '../lib/services';
import { getServices, invocationLogger, invocationOf, serviceOverrides } from './shared/context';

const tooLarge: HttpResponseInit = {
  status: 413,
  jsonBody: { error: `request body is larger than ${MAX_REQUEST_BYTES} bytes` },
};

export async function sync(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_REQUEST_BYTES) return tooLarge;
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) return tooLarge;

  // `{"check": true}`: the preflight check, read-only. Before getServices(), which a bad setting
  // would stop: the check reports bad settings as one of its lines.
  if (isCheckRequest(text)) return preflight(context);

  const parsed = parseSyncRequest(text);
  if (!parsed.ok) return { status: parsed.answer.status, jsonBody: parsed.answer.body };

  const answer = await runOnDemand(parsed.request, onDemandDeps(getServices(), invocationOf(context)));
  return { status: answer.status, jsonBody: answer.body };
}

async function preflight(context: InvocationContext): Promise<HttpResponseInit> {
  // The check builds its own services from the settings (a bad setting is one of its lines), with what tests swapped in.
  const answer = await checkAnswer({ env: appEnv(), ...serviceOverrides() });
  const failed = answer.body.lines.filter((l) => !l.ok).map((l) => l.id);
  invocationLogger(context)[failed.length ? 'warn' : 'info'](
    { failed },
    failed.length ? 'preflight check failed' : 'preflight check passed',
  );
  return { status: answer.status, jsonBody: answer.body };
}

app.http('sync', {
  route: 'sync',
  methods: ['POST'],
  authLevel: 'function',
  handler: sync,
});
