import { isSyncError, type SyncErrorCode } from '../../lib/errors';

/** The message of the SyncError `fn` throws with this code; any other outcome fails the test. */
export function syncErrorMessage(code: SyncErrorCode, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSyncError(e) && e.code === code) return e.message;
    throw e;
  }
  throw new Error(`expected a ${code} error`);
}
