import type { BucketShape } from './tokenBudget';

/**
 * Knobs for the local fakes (test/fakes/*, the bench): their self-signed CA, short backoffs, pacing
 * matched to a fake's faster clock. A deployment sets none of them: production code reads its
 * settings (maxRetries, requestTimeoutMs, ...) and the built-in defaults; only the test harness and
 * the bench fill this in, and the composition root (lib/services.ts) passes it through.
 */
export interface TransportOverrides {
  /** Extra CA to trust for ARM, the upload endpoint and the Logs API (the fakes' self-signed certificate). */
  tlsCa?: string;
  /** First backoff of the ARM SDK's exponential retry (the SDK default is 1 s). */
  retryDelayInMs?: number;
  /** Cap of that backoff (the SDK default is 64 s). */
  maxRetryDelayInMs?: number;
  /** Longest wait an ARM 429/503 may ask for (default MAX_RETRY_AFTER_MS). */
  maxRetryAfterMs?: number;
  /** ARM's write bucket (default ARM_WRITE_BUCKET, as documented), matched to a fake's clock. */
  writeBucket?: BucketShape;
  /** The STIX upload client's (lib/sentinel/uploadClient.ts) and upload store's tuning. */
  upload?: {
    maxRetryAfterMs?: number;
    retryDelayMs?: number;
    timeoutMs?: number;
    batchesInFlight?: number;
    pace?: BucketShape;
  };
}
