import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { remainingHeader, type ArmWriteBudgets } from './armWriteBudgets';

export const armWritePacingPolicyName = 'armWritePacingPolicy';

/**
 * Sends an ARM write only when its subscription's budget has room, and keeps that budget's
 * estimate from what every answer says is left (`x-ms-ratelimit-remaining-subscription-writes`,
 * `…-deletes`), so writes are paced at ARM's refill rate instead of being answered 429.
 *
 * Placed per retry, before the attempt's timeout: each attempt spends a token, and the wait for
 * one is not counted against the attempt. A 429 still goes back to the SDK's retry policy, which
 * waits what `Retry-After` says; here it only empties the estimate. The wait ends when the
 * request's signal aborts (a run's deadline).
 */
export function armWritePacingPolicy(budgets: ArmWriteBudgets): PipelinePolicy {
  return {
    name: armWritePacingPolicyName,
    async sendRequest(request, next) {
      const spent = budgets.budgetFor(request.method, request.url);
      if (!spent) return next(request);
      // The pipeline's signals are real AbortSignals (ours, from the deadline policy, or the SDK's).
      const ticket = await spent.budget.take(request.abortSignal as AbortSignal | undefined);
      let remaining: number | undefined;
      let throttled = false;
      try {
        const response = await next(request);
        const stated = response.headers.get(remainingHeader(spent.kind));
        remaining = stated !== undefined && /^\d+$/.test(stated.trim()) ? Number(stated) : undefined;
        throttled = response.status === 429;
        return response;
      } finally {
        spent.budget.settle(ticket, remaining, throttled);
      }
    },
  };
}
