/**
 * Errors the pipeline raises on purpose. `exitCode` is what the CLI exits with (the contract in
 * the README and `--help`): 0 done; 1 nothing was written because the settings, the input, `--out`,
 * the Azure login or ThreatFox failed before any write (CONFIG, INPUT, THREATFOX: ThreatFox is
 * always read before Sentinel is written); 2 the writes could not all be done (AZURE: a failed
 * write, or a read of our indicators that broke or ended early, before anything was written).
 */
export type SyncErrorCode = 'CONFIG' | 'INPUT' | 'THREATFOX' | 'AZURE';

export const EXIT = { done: 0, nothingWritten: 1, someWritesFailed: 2 } as const;

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  /** The request field, CLI flag or app setting the error is about (`malware`, `--out`, `THREATFOX_MALWARE`), when there is one. */
  readonly field?: string;
  /** The SDK's own long explanation (every reason of a credential chain): for LOG_LEVEL=debug and --json, never the one line. */
  readonly detail?: string;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown; field?: string; detail?: string }) {
    super(message, options);
    this.name = 'SyncError';
    this.code = code;
    this.field = options?.field;
    this.detail = options?.detail;
  }
  get exitCode(): 1 | 2 {
    return this.code === 'AZURE' ? EXIT.someWritesFailed : EXIT.nothingWritten;
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}

export const configError = (message: string, setting?: string) => new SyncError('CONFIG', message, { field: setting });

/** A CONFIG error about one app setting (its `field`), so callers branch on the code, never on message text. */
export function isSettingError(e: unknown, setting: string): e is SyncError {
  return isSyncError(e) && e.code === 'CONFIG' && e.field === setting;
}
export const inputError = (message: string, field?: string) => new SyncError('INPUT', message, { field });

/** @azure/identity error names: no usable login, or the login was refused. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);

const LOGIN_HELP =
  'sign in with `az login` (or pick a credential with AZURE_TOKEN_CREDENTIALS, e.g. dev, AzureCliCredential or ManagedIdentityCredential)';
const ROLE_HELP =
  'grant the identity the ThreatFox Sentinel Sync role (docs/deploy.md; upload path: Microsoft Sentinel Contributor) on the Sentinel workspace (or its resource group)';

/** The text up to its first line break (all of it when there is none). */
function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}

/** Longest line an error becomes. */
const MAX_ERROR_LINE = 500;

/** The message of a thrown value, a service's message string, or anything else as JSON. */
function messageOf(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  const message = (e as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(e) ?? String(e);
}

/**
 * The one line any error (or service message) becomes, for users, logs, run history and counted
 * failures: the HTTP status and the service's error code when it has them, then the first line of
 * its message, with anything token-shaped removed, at most 500 characters. A SyncError's own code
 * is our classification (its exit code), not the service's: it is left out.
 */
export function errorLine(e: unknown): string {
  const { statusCode, code } = (typeof e === 'object' && e !== null ? e : {}) as {
    statusCode?: unknown;
    code?: unknown;
  };
  const status = typeof statusCode === 'number' && statusCode ? `HTTP ${statusCode}` : undefined;
  const serviceCode =
    !isSyncError(e) &&
    (typeof code === 'string' || typeof code === 'number') &&
    code &&
    String(code) !== String(statusCode)
      ? String(code)
      : undefined;
  return [status, serviceCode, firstLine(messageOf(e))]
    .filter(Boolean)
    .join(' ')
    .replace(/Bearer\s+[^\s"',]+/gi, 'Bearer [redacted]')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted]')
    .slice(0, MAX_ERROR_LINE)
    .trim();
}

/** A core-rest-pipeline RestError (same test as its isRestError, which this package does not depend on directly). */
export function restStatus(e: unknown): { statusCode: number; code?: string; message: string } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { name, message, statusCode, code } = e as {
    name?: unknown;
    message?: unknown;
    statusCode?: unknown;
    code?: unknown;
  };
  if (name !== 'RestError' || typeof message !== 'string' || typeof statusCode !== 'number') return undefined;
  return { statusCode, code: typeof code === 'string' ? code : undefined, message };
}

/**
 * Azure refusing who we are (no login, a failed token request, ARM 401) or what we may do (ARM 403)
 * is a setup problem the user must fix, not a partial failure: returns a SyncError('CONFIG') that
 * says how to fix it, or undefined for any other error. Never carries tokens or request headers,
 * only the error's name, status, ARM error code and first message line.
 */
export function asAzureAccessError(e: unknown): SyncError | undefined {
  if (isSyncError(e)) return undefined;
  // @azure/identity throws a plain Error from the DefaultAzureCredential constructor for a bad value.
  if (e instanceof Error && /AZURE_TOKEN_CREDENTIALS/.test(e.message) && !CREDENTIAL_ERRORS.has(e.name)) {
    return new SyncError(
      'CONFIG',
      `AZURE_TOKEN_CREDENTIALS is not valid (${errorLine(e.message)}): use dev, prod, or one credential name such as AzureCliCredential or ManagedIdentityCredential`,
    );
  }
  if (e instanceof Error && CREDENTIAL_ERRORS.has(e.name)) {
    // A credential chain's own message says only that the chain failed; its members say why.
    const inner = (e as Error & { errors?: unknown[] }).errors;
    const reasons =
      Array.isArray(inner) && inner.length > 0
        ? inner.map((x) => errorLine(x instanceof Error ? x.message : x))
        : [errorLine(e.message)];
    // The reasons run to a thousand characters: the line says what to do, the reasons go to debug.
    const detail = reasons.filter(Boolean).join('; ');
    return new SyncError('CONFIG', `Azure login failed (${e.name}): ${LOGIN_HELP}`, { cause: e, detail });
  }
  const rest = restStatus(e);
  if (rest && (rest.statusCode === 401 || rest.statusCode === 403)) {
    const what = errorLine(e);
    return rest.statusCode === 401
      ? new SyncError(
          'CONFIG',
          `Azure Resource Manager refused the token (${what}): ${LOGIN_HELP}, and check the identity belongs to the workspace's tenant`,
        )
      : new SyncError('CONFIG', `Azure Resource Manager denied access (${what}): ${ROLE_HELP}`);
  }
  return undefined;
}

/** The whole message of anything thrown, every line: for a debug detail or a parse of its lines, never for one line (errorLine). */
export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
