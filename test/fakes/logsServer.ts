import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadSettings } from '../../lib/config';
import { huntsOfSettings } from '../../lib/jobs/checkHunts';
import { ourIndicatorValuesQuery } from '../../lib/kql/indicatorCount';
import { huntsForWorkspace } from '../../lib/sentinel/workspaceTables';
import { kqlDiagnosticsIn } from '../support/kusto';
import { DEFAULT_WORKSPACE_TABLES } from './armServer';
import { readBody, writeAzureJson } from './http';
import { testCertificate } from './tls';

/**
 * A fake Azure Monitor Logs query API on 127.0.0.1, over HTTPS like the real one (the bearer-token
 * policy refuses plain http to anything but loopback, and the app's endpoint setting is https only
 * outside loopback): `POST /v1/workspaces/{workspaceId}/query` with `{"query", "timespan"}`.
 *
 * Like the service it answers 401 without the expected bearer token, 403 `InsufficientAccessError`
 * when the caller may not query (`denied`), 404 `WorkspaceNotFoundError` for an unknown workspace
 * id, and 400 `BadArgumentError` for a query the Kusto language service (test/support/kusto.ts)
 * rejects against the workspace's own tables, with the inner `SemanticError` naming what could not
 * be resolved as the service words it ("Failed to resolve table or column expression named 'X'").
 * So a hunting query that would fail in the workspace fails in the test.
 *
 * A valid query is answered in the service's JSON shape (`tables[].columns[]`, `rows[][]`): by
 * `answer` when it returns rows for the query, else one empty `PrimaryResult` table.
 */

export const FAKE_LOGS_TOKEN = 'fake-logs-access-token';

export interface LogsFakeWorkspace {
  /** The workspace id (ARM's `properties.customerId`). */
  id: string;
  /** The tables it holds (the ASIM parsers are always there, as in every Sentinel workspace). */
  tables: readonly string[];
}

export interface LogsAnswerTable {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface LogsFakeOptions {
  /** The workspaces it knows; default: any workspace id, holding `tables`. */
  workspaces?: LogsFakeWorkspace[];
  /** The tables of a workspace not listed in `workspaces` (default: the fake ARM's DEFAULT_WORKSPACE_TABLES). */
  tables?: readonly string[];
  /** Bearer token it accepts (default FAKE_LOGS_TOKEN). */
  token?: string;
  /** The caller's role does not include query read: every query gets 403. */
  denied?: boolean;
  /** Rows for a valid query; undefined: an empty result. */
  answer?: (query: string, workspace: LogsFakeWorkspace) => LogsAnswerTable | undefined;
}

export interface RecordedLogsQuery {
  workspaceId: string;
  query: string;
  timespan?: string;
  status: number;
}

export interface LogsFake {
  /** `https://127.0.0.1:<port>`: the LOG_ANALYTICS_ENDPOINT. */
  url: string;
  ca: string;
  token: string;
  requests: RecordedLogsQuery[];
  close(): Promise<void>;
}

const QUERY_PATH = /^\/v1\/workspaces\/([^/]+)\/query\/?$/;

function serviceError(status: number, code: string, message: string, inner?: { code: string; message: string }) {
  return {
    error: {
      message,
      code,
      correlationId: randomUUID(),
      ...(inner
        ? {
            innererror: {
              code: inner.code,
              message: 'A semantic error occurred.',
              innererror: { code: 'SEM0100', message: inner.message },
            },
          }
        : {}),
    },
  };
}

/** The language service's wording of an unknown name, as the Logs API words it. */
export function semanticMessage(diagnostic: string): string {
  const unknown = /The name '([^']+)' does not refer to any known/.exec(diagnostic);
  if (unknown) return `Failed to resolve table or column expression named '${unknown[1]}'`;
  const fn = /The name '([^']+)' does not refer to any known function/.exec(diagnostic);
  if (fn) return `Failed to resolve scalar expression named '${fn[1]}'`;
  return diagnostic.replace(/ at \d+: .*$/, '');
}

/** The language service takes about a second on a hunting query: the same query in the same tables is analysed once per process. */
const analysed = new Map<string, string[]>();
function diagnosticsOf(query: string, tables: readonly string[]): string[] {
  const key = `${[...tables].sort().join(',')}\u0000${query}`;
  let errors = analysed.get(key);
  if (!errors) analysed.set(key, (errors = kqlDiagnosticsIn(query, tables)));
  return errors;
}

/**
 * Analyses, ahead of a test, every query a check of these settings sends (each hunt the workspace
 * has tables for, and the indicator query), so the test's own time is not spent loading the
 * language service and analysing: call it from a `beforeAll` with a long timeout.
 */
export function primeLogsFake(env: NodeJS.ProcessEnv, tables: readonly string[] = DEFAULT_WORKSPACE_TABLES): void {
  const settings = loadSettings(env);
  const queries = [
    ...huntsForWorkspace(huntsOfSettings(settings), tables).kept.map((q) => q.query),
    ...settings.threatfox.malware.map((familyId) =>
      ourIndicatorValuesQuery({ familyId, indicatorSource: settings.sentinel.source }),
    ),
  ];
  for (const query of queries) diagnosticsOf(query, tables);
}

export async function startLogsFake(options: LogsFakeOptions = {}): Promise<LogsFake> {
  const { key, cert, ca } = await testCertificate();
  const token = options.token ?? FAKE_LOGS_TOKEN;
  const requests: RecordedLogsQuery[] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const m = QUERY_PATH.exec(url.pathname);
      const record: RecordedLogsQuery = { workspaceId: m?.[1] ?? '', query: '', status: 0 };
      const send = (status: number, payload: unknown) => {
        record.status = status;
        writeAzureJson(res, status, payload);
      };
      if (m) requests.push(record);
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, serviceError(401, 'AuthorizationRequiredError', 'Valid authentication was not provided'));
      if (!m || req.method !== 'POST')
        return send(404, serviceError(404, 'PathNotFoundError', `The requested path does not exist`));
      let body: { query?: unknown; timespan?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return send(400, serviceError(400, 'BadArgumentError', 'The request had some invalid properties'));
      }
      if (typeof body.query !== 'string' || !body.query.trim())
        return send(400, serviceError(400, 'BadArgumentError', 'The request had some invalid properties'));
      record.query = body.query;
      if (typeof body.timespan === 'string') record.timespan = body.timespan;
      if (options.denied)
        return send(
          403,
          serviceError(
            403,
            'InsufficientAccessError',
            'The provided credentials have insufficient access to perform the requested operation',
          ),
        );
      const workspace = options.workspaces
        ? options.workspaces.find((w) => w.id.toLowerCase() === m[1].toLowerCase())
        : { id: m[1], tables: options.tables ?? DEFAULT_WORKSPACE_TABLES };
      if (!workspace) return send(404, serviceError(404, 'WorkspaceNotFoundError', `Workspace ${m[1]} not found`));
      const errors = diagnosticsOf(body.query, workspace.tables);
      if (errors.length > 0)
        return send(
          400,
          serviceError(400, 'BadArgumentError', 'The request had some invalid properties', {
            code: 'SemanticError',
            message: semanticMessage(errors[0]),
          }),
        );
      const table = options.answer?.(body.query, workspace) ?? { columns: [], rows: [] };
      send(200, { tables: [{ name: 'PrimaryResult', columns: table.columns, rows: table.rows }] });
    })().catch((e: unknown) => {
      writeAzureJson(res, 500, serviceError(500, 'InternalServerError', e instanceof Error ? e.message : String(e)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    token,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
