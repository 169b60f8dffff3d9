import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request's whole body as UTF-8 text: what every fake reads before it parses or validates. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An Azure-style answer: `payload` as JSON (no body when undefined), a fresh x-ms-request-id, and `headers`. */
export function writeAzureJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const out = payload === undefined ? '' : JSON.stringify(payload);
  res.writeHead(status, {
    ...(out ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
    ...headers,
  });
  res.end(out);
}
