import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

/**
 * A run's deadline, for every Azure SDK request made inside it.
 *
 * `withRunDeadline` scopes a deadline to one run (AsyncLocalStorage follows the run's own async
 * calls and no one else's, so concurrent runs in one worker keep their own deadlines); the ARM
 * clients carry `runDeadlinePolicy`, which aborts a request in flight, or a retry wait, once the
 * deadline passes, and fails every later request at once. Nothing is dropped silently: each
 * write that did not finish fails with RunDeadlineError and is counted and reported as failed by
 * the writer, so the run exits 2 (CLI) or throws (queue: the host retries the message).
 */

export const RUN_DEADLINE = 'RUN_DEADLINE';

export class RunDeadlineError extends Error {
  readonly code = RUN_DEADLINE;
  constructor(readonly seconds: number) {
    super(`run deadline reached (RUN_DEADLINE_SECONDS=${seconds}) before this request finished`);
    this.name = 'RunDeadlineError';
  }
}

export function isRunDeadlineError(e: unknown): e is RunDeadlineError {
  return e instanceof RunDeadlineError;
}

interface Deadline {
  signal: AbortSignal;
  seconds: number;
  /** Epoch ms: checked as well as the signal, whose timer may fire late on a busy worker. */
  at: number;
}

const current = new AsyncLocalStorage<Deadline>();

/**
 * Runs `work` under a deadline of `seconds` counted from `startedAt` (default now), so time the run
 * spent before (a ThreatFox pull) is counted too.
 */
export async function withRunDeadline<T>(
  deadline: { seconds: number; startedAt?: number },
  work: () => Promise<T>,
): Promise<T> {
  const at = (deadline.startedAt ?? Date.now()) + deadline.seconds * 1000;
  const controller = new AbortController();
  // Every request in flight listens on this one signal (ARM_CONCURRENCY per workspace, and more
  // across workspaces); each removes its listener when it ends, so many at once is not a leak.
  setMaxListeners(0, controller.signal);
  const left = at - Date.now();
  if (left <= 0) controller.abort();
  const timer = setTimeout(() => controller.abort(), Math.max(0, left));
  timer.unref();
  try {
    return await current.run({ signal: controller.signal, seconds: deadline.seconds, at }, work);
  } finally {
    clearTimeout(timer);
  }
}

/** The deadline of the run this code is part of, if any. */
export function runDeadlineSignal(): AbortSignal | undefined {
  return current.getStore()?.signal;
}

export const runDeadlinePolicyName = 'runDeadlinePolicy';

/** Per call (outside the retries): the run's deadline bounds the attempts and the waits between them. */
export function runDeadlinePolicy(): PipelinePolicy {
  return {
    name: runDeadlinePolicyName,
    async sendRequest(request, next) {
      const deadline = current.getStore();
      if (!deadline) return next(request);
      if (deadline.signal.aborted || Date.now() >= deadline.at) throw new RunDeadlineError(deadline.seconds);
      const outer = request.abortSignal;
      const controller = new AbortController();
      const abort = () => controller.abort();
      if (outer?.aborted) abort();
      else outer?.addEventListener('abort', abort);
      deadline.signal.addEventListener('abort', abort);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (e) {
        if (deadline.signal.aborted && !outer?.aborted) throw new RunDeadlineError(deadline.seconds);
        throw e;
      } finally {
        outer?.removeEventListener('abort', abort);
        deadline.signal.removeEventListener('abort', abort);
        request.abortSignal = outer;
      }
    },
  };
}
