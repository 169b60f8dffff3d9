import type { TokenCredential } from '@azure/identity';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { SecurityInsights } from '@azure/arm-securityinsight';
import type { SentinelTarget } from '../config';
import { GENERATOR } from '../names';
import { sharedArmWriteBudgets } from '../net/armWriteBudgets';
import { armWritePacingPolicy } from '../net/armWritePacingPolicy';
import { runDeadlinePolicy } from '../net/deadline';
import { doubtfulAttemptPolicy } from '../net/doubtfulAttemptPolicy';
import { requestTimeoutPolicy } from '../net/requestTimeoutPolicy';
import { MAX_RETRY_AFTER_MS, retryAfterCapPolicy } from '../net/retryAfterCapPolicy';
import type { BucketShape } from '../net/tokenBudget';

export interface ArmClients {
  securityInsights: SecurityInsights;
  operationalInsights: OperationalInsightsManagementClient;
}

export interface ArmClientOptions {
  credential: TokenCredential;
  /** Extra CA to trust (a test fake's self-signed certificate); replaces the default CAs for these clients. */
  tlsCa?: string | Buffer;
  /** First backoff of the SDK's exponential retry (5xx, network faults); the SDK default is 1 s. */
  retryDelayInMs?: number;
  /** Cap of that backoff; the SDK default is 64 s. */
  maxRetryDelayInMs?: number;
  /** Longest wait a 429/503 may ask for (default MAX_RETRY_AFTER_MS). */
  maxRetryAfterMs?: number;
  /** ARM's write bucket (default ARM_WRITE_BUCKET, as documented); the bench matches its fake's faster clock. */
  writeBucket?: BucketShape;
}

/**
 * The two ARM clients, pointed at the configured cloud (or a test fake).
 *
 * Retrying is left to the SDK pipeline's own retry policy, configured once here: on 429/503 it
 * waits for `Retry-After` / `x-ms-retry-after-ms`, on other 5xx and network faults it backs off
 * exponentially with jitter, up to `maxRetries`. Nothing above it retries again.
 *
 * Writes are paced: every client of one credential and subscription spends one write budget
 * (lib/net/armWritePacingPolicy), so several workspaces in a subscription do not outrun ARM together.
 *
 * Nothing waits for ever: each attempt has `requestTimeoutMs` (a timed-out attempt is retried like
 * a network fault), a `Retry-After` longer than `maxRetryAfterMs` is cut to it, and a run's deadline
 * (lib/net/deadline) ends whatever is still in flight or waiting.
 */
export function createArmClients(target: SentinelTarget, options: ArmClientOptions): ArmClients {
  const endpoint = target.armEndpoint.replace(/\/+$/, '');
  const common = {
    endpoint,
    // The SDKs default the scope from `endpoint`, but say it: a sovereign cloud or a fake needs its own audience.
    credentialScopes: [`${endpoint}/.default`],
    retryOptions: {
      maxRetries: target.maxRetries,
      ...(options.retryDelayInMs !== undefined ? { retryDelayInMs: options.retryDelayInMs } : {}),
      ...(options.maxRetryDelayInMs !== undefined ? { maxRetryDelayInMs: options.maxRetryDelayInMs } : {}),
    },
    additionalPolicies: [
      { policy: runDeadlinePolicy(), position: 'perCall' as const },
      {
        policy: armWritePacingPolicy(sharedArmWriteBudgets(options.credential, endpoint, options.writeBucket)),
        position: 'perRetry' as const,
      },
      // Before the timeout policy, so an attempt it cuts off counts as one that may have landed.
      { policy: doubtfulAttemptPolicy(), position: 'perRetry' as const },
      { policy: retryAfterCapPolicy(options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS), position: 'perRetry' as const },
      { policy: requestTimeoutPolicy(target.requestTimeoutMs), position: 'perRetry' as const },
    ],
    ...(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {}),
    userAgentOptions: { userAgentPrefix: GENERATOR },
  };
  return {
    // The SDK's default api-version is a 2022 preview; `apiVersion` rewrites it on every call, nextLink pages included.
    securityInsights: new SecurityInsights(options.credential, target.subscriptionId, {
      ...common,
      apiVersion: target.apiVersion,
    }),
    // Saved searches keep the SDK's constant 2020-08-01, the version Sentinel content uses.
    operationalInsights: new OperationalInsightsManagementClient(options.credential, target.subscriptionId, common),
  };
}
