import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';

export const doubtfulAttemptPolicyName = 'doubtfulAttemptPolicy';

/** Requests one of whose attempts may have taken effect unseen. Weak: a request is forgotten with it. */
const doubtful = new WeakSet<PipelineRequest>();

/**
 * Marks a request whose attempt may have been applied though its caller never learnt it: answered
 * 5xx or 408, or cut off (reset, timeout). The SDK retries such an attempt, so a create that finally
 * succeeds may have made a second object before it. Placed per retry, so it sees every attempt.
 * A 429 or another 4xx was refused, not applied: it leaves no doubt.
 */
export function doubtfulAttemptPolicy(): PipelinePolicy {
  return {
    name: doubtfulAttemptPolicyName,
    async sendRequest(request, next) {
      try {
        const response = await next(request);
        // 408 too: the SDK retries it, and a gateway may time out a request its backend applied.
        if (response.status >= 500 || response.status === 408) doubtful.add(request);
        return response;
      } catch (e) {
        doubtful.add(request);
        throw e;
      }
    },
  };
}

/** Whether an attempt of this request may have been applied before the answer the caller got. */
export function hadDoubtfulAttempt(request: PipelineRequest): boolean {
  return doubtful.has(request);
}
