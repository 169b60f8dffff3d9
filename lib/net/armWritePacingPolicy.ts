import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { remainingHeader, type ArmWriteBudgets } from './armWriteBudgets';
import { budgetPacingPolicy } from './budgetPacingPolicy';

export const armWritePacingPolicyName = 'armWritePacingPolicy';

/**
 * Sends an ARM write only when its subscription's budget has room, and keeps that budget's
 * estimate from what every answer says is left (`x-ms-ratelimit-remaining-subscription-writes`,
 * `…-deletes`), so writes are paced at ARM's refill rate instead of being answered 429.
 * Reads spend nothing. See budgetPacingPolicy for where it sits and how it waits.
 */
export function armWritePacingPolicy(budgets: ArmWriteBudgets): PipelinePolicy {
  return budgetPacingPolicy(armWritePacingPolicyName, (request) => {
    const spent = budgets.budgetFor(request.method, request.url);
    return spent && { budget: spent.budget, remainingHeader: remainingHeader(spent.kind) };
  });
}
