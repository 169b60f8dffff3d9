import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { errorLine, restStatus } from '../errors';
import { GENERATOR } from '../names';
import { requestTimeoutPolicy } from '../net/requestTimeoutPolicy';

/**
 * The Azure Monitor Logs query API (`POST {endpoint}/v1/workspaces/{customerId}/query`), the API
 * the portal's hunting page runs queries through: what the check uses to prove the hunts run.
 * Read-only by nature: a query cannot write.
 */

/** What one query came back with: its first table, or the service's error in one line. */
export type LogsAnswer =
  | { ok: true; columns: string[]; rows: unknown[][] }
  | { ok: false; status?: number; code?: string; message: string; kind: 'denied' | 'unreachable' | 'query' };

export interface LogsQueryRunner {
  /** Runs `query` over the last `duration` (an ISO 8601 duration such as PT1H). Never throws. */
  run(workspaceId: string, query: string, duration: string, signal?: AbortSignal): Promise<LogsAnswer>;
}

/** The public cloud's Logs query API, when LOG_ANALYTICS_ENDPOINT is not set. */
export const DEFAULT_LOGS_ENDPOINT = 'https://api.loganalytics.io';

export interface LogsClientOptions {
  /** LOG_ANALYTICS_ENDPOINT, without `/v1`. */
  endpoint: string;
  credential: TokenCredential;
  /** Per attempt; a query that takes longer is reported as not answered. */
  timeoutMs: number;
  /** Extra CA to trust (a test's self-signed fake). */
  tlsCa?: string;
}

/** The Logs query client, with the token for its own audience (`<endpoint>/.default`) and a timeout. */
export function createLogsQueryRunner(options: LogsClientOptions): LogsQueryRunner {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const client = new LogsQueryClient(options.credential, {
    // The client takes `endpoint` as the whole base URL, api version included.
    endpoint: `${endpoint}/v1`,
    credentials: { scopes: [`${endpoint}/.default`] },
    retryOptions: { maxRetries: 1, maxRetryDelayInMs: 5_000 },
    additionalPolicies: [{ policy: requestTimeoutPolicy(options.timeoutMs), position: 'perRetry' }],
    userAgentOptions: { userAgentPrefix: GENERATOR },
    ...(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {}),
  });
  return {
    async run(workspaceId, query, duration, signal) {
      try {
        const result = await client.queryWorkspace(
          workspaceId,
          query,
          { duration },
          { abortSignal: signal, serverTimeoutInSeconds: Math.max(1, Math.floor(options.timeoutMs / 1000)) },
        );
        if (result.status === LogsQueryResultStatus.PartialFailure) {
          const e = result.partialError;
          return { ok: false, kind: 'query', code: e.code, message: innermost(e) };
        }
        const table = result.tables[0];
        return {
          ok: true,
          columns: (table?.columnDescriptors ?? []).map((c) => c.name ?? ''),
          rows: table?.rows ?? [],
        };
      } catch (e) {
        return logsFailure(e);
      }
    },
  };
}

interface ErrorInfo {
  code?: string;
  message?: string;
  innererror?: ErrorInfo;
}

/** The innermost message of the service's nested error: the one that names what failed. */
function innermost(e: ErrorInfo): string {
  const messages: string[] = [];
  for (let at: ErrorInfo | undefined = e; at; at = at.innererror) if (at.message) messages.push(at.message);
  return errorLine(messages[messages.length - 1] ?? 'no message');
}

/** A failed call as a LogsAnswer: denied (401/403), unreachable (network, timeout, 5xx) or the query's own error. */
export function logsFailure(e: unknown): LogsAnswer {
  const rest = restStatus(e);
  if (!rest) {
    const timedOut = e instanceof Error && (e.name === 'AbortError' || /timed out/.test(e.message));
    return {
      ok: false,
      kind: isCredentialError(e) ? 'denied' : 'unreachable',
      message: timedOut ? 'no answer in time' : errorLine(e instanceof Error ? e.message : String(e)),
    };
  }
  const details = (e as { details?: { error?: ErrorInfo } }).details?.error;
  const code = details?.code ?? rest.code;
  const message = details ? innermost(details) : errorLine(rest.message);
  const kind =
    rest.statusCode === 401 || rest.statusCode === 403
      ? 'denied'
      : rest.statusCode >= 500 || !rest.statusCode
        ? 'unreachable'
        : 'query';
  return { ok: false, kind, status: rest.statusCode, code, message };
}

function isCredentialError(e: unknown): boolean {
  return (
    e instanceof Error && /^(CredentialUnavailableError|AggregateAuthenticationError|AuthenticationError)$/.test(e.name)
  );
}
