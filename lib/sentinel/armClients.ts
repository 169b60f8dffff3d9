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
import type { TransportOverrides } from '../net/transportOverrides';

export interface ArmClients {
  securityInsights: SecurityInsights;
  operationalInsights: OperationalInsightsManagementClient;
}

export interface ArmClientOptions {
  credential: TokenCredential;
  /** Cap of the SDK's retry backoff (its default is 64 s): the preflight check wants a first answer. */
  maxRetryDelayInMs?: number;
  /** The local fakes' CA, backoffs and write bucket (tests, bench); none in a deployment. */
  transport?: TransportOverrides;
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
 * a network fault), a `Retry-After` longer than MAX_RETRY_AFTER_MS is cut to it, and a run's deadline
 * (lib/net/deadline) ends whatever is still in flight or waiting.
 */
export function createArmClients(target: SentinelTarget, options: ArmClientOptions): ArmClients {
  const endpoint = target.armEndpoint.replace(/\/+$/, '');
  const transport = options.transport ?? {};
  const maxRetryDelayInMs = transport.maxRetryDelayInMs ?? options.maxRetryDelayInMs;
  const common = {
    endpoint,
    // The SDKs default the scope from `endpoint`, but say it: a sovereign cloud or a fake needs its own audience.
    credentialScopes: [`${endpoint}/.default`],
    retryOptions: {
      maxRetries: target.maxRetries,
      ...(transport.retryDelayInMs !== undefined ? { retryDelayInMs: transport.retryDelayInMs } : {}),
      ...(maxRetryDelayInMs !== undefined ? { maxRetryDelayInMs } : {}),
    },
    additionalPolicies: [
      { policy: runDeadlinePolicy(), position: 'perCall' as const },
      {
        policy: armWritePacingPolicy(sharedArmWriteBudgets(options.credential, endpoint, transport.writeBucket)),
        position: 'perRetry' as const,
      },
      // Before the timeout policy, so an attempt it cuts off counts as one that may have landed.
      { policy: doubtfulAttemptPolicy(), position: 'perRetry' as const },
      { policy: retryAfterCapPolicy(transport.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS), position: 'perRetry' as const },
      { policy: requestTimeoutPolicy(target.requestTimeoutMs), position: 'perRetry' as const },
    ],
    ...(transport.tlsCa ? { tlsOptions: { ca: transport.tlsCa } } : {}),
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
