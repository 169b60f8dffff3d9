import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import type { TokenBudget } from './tokenBudget';

/** The budget a request spends, and the answer header (if any) that states what the service has left. */
export interface SpentBudget {
  budget: TokenBudget;
  remainingHeader?: string;
}

/**
 * Sends a request only when the budget it spends has room, and keeps that budget's estimate from
 * the answer: what the service says is left (if it says), and whether it was refused with a 429.
 *
 * Placed per retry, before the attempt's timeout: each attempt spends a token, and the wait for
 * one is not counted against the attempt. A 429 still goes back to the SDK's retry policy, which
 * waits what `Retry-After` says; here it only empties the estimate. The wait ends when the
 * request's signal aborts (a run's deadline).
 */
export function budgetPacingPolicy(
  name: string,
  budgetFor: (request: PipelineRequest) => SpentBudget | undefined,
): PipelinePolicy {
  return {
    name,
    async sendRequest(request, next) {
      const spent = budgetFor(request);
      if (!spent) return next(request);
      // The pipeline's signals are real AbortSignals (ours, from the deadline policy, or the SDK's).
      const ticket = await spent.budget.take(request.abortSignal as AbortSignal | undefined);
      let remaining: number | undefined;
      let throttled = false;
      try {
        const response = await next(request);
        const stated = spent.remainingHeader ? response.headers.get(spent.remainingHeader) : undefined;
        remaining = stated !== undefined && /^\d+$/.test(stated.trim()) ? Number(stated) : undefined;
        throttled = response.status === 429;
        return response;
      } finally {
        spent.budget.settle(ticket, remaining, throttled);
      }
    },
  };
}
