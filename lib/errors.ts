/**
 * Errors the pipeline raises on purpose. `exitCode` is what the CLI exits with:
 * 1 for bad settings or input (the user must fix something), 2 for a partial failure.
 */
export type SyncErrorCode = 'CONFIG' | 'INPUT' | 'THREATFOX' | 'AZURE';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncError';
    this.code = code;
  }
  get exitCode(): 1 | 2 {
    return this.code === 'CONFIG' || this.code === 'INPUT' ? 1 : 2;
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}

export const configError = (message: string) => new SyncError('CONFIG', message);
export const inputError = (message: string) => new SyncError('INPUT', message);
