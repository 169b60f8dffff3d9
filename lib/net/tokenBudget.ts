import { performance } from 'node:perf_hooks';
import { sleep } from './sleep';

/** A service's token bucket: how many requests it lets through at once, and how fast that refills. */
export interface BucketShape {
  size: number;
  refillPerSecond: number;
}

/** A request sent on the budget: its place in the sending order and when it left. */
export interface BudgetTicket {
  readonly seq: number;
  readonly sentAt: number;
}

/** Thrown when the request's signal (a run's deadline) aborts the wait for budget. */
export class BudgetWaitAborted extends Error {
  constructor() {
    super('aborted while waiting for write budget');
    this.name = 'AbortError';
  }
}

/**
 * Our estimate of what is left in a service's token bucket, so requests are sent only when the
 * service will take them instead of being answered 429.
 *
 * Locally it is a token bucket of the service's documented shape: a request takes a token, tokens
 * come back at the refill rate (from the first answer on). When an answer says what the service has left (ARM's
 * `x-ms-ratelimit-remaining-subscription-writes`), the estimate is moved into what that figure
 * allows: no more than it plus what refilled since the request left (others spending the same
 * budget pull us down), no less than it minus the requests of ours it cannot have counted yet
 * (the service may allow more than documented). Waiters are served in order, so none starves.
 */
export class TokenBudget {
  private tokens: number;
  private at: number;
  private sent = 0;
  /**
   * The service's bucket refills only once it has drained it, which it has at the earliest when
   * it answers: until the first answer the estimate does not refill, or a first burst would be
   * followed by one the service no longer has room for.
   */
  private refilling = false;
  /** Tickets of requests not answered yet. */
  private readonly inFlight = new Set<number>();
  private line: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly shape: BucketShape,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(shape.size >= 1) || !(shape.refillPerSecond > 0))
      throw new RangeError(
        `a token bucket needs size >= 1 and a refill > 0 (got ${shape.size}, ${shape.refillPerSecond}/s)`,
      );
    this.tokens = shape.size;
    this.at = now();
  }

  /** Tokens we believe are left now (fractional; below 0 after a 429). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Waits until the estimate has a token, takes it, and returns the request's ticket. */
  take(signal?: AbortSignal): Promise<BudgetTicket> {
    const turn = this.line.then(() => this.waitForToken(signal));
    this.line = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The answer to a ticket's request: `remaining` as the service stated it (if it did), and whether
   * it was refused for being over the limit.
   */
  settle(ticket: BudgetTicket, remaining: number | undefined, throttled: boolean): void {
    this.inFlight.delete(ticket.seq);
    if (!this.refilling) {
      this.refilling = true;
      this.at = this.now();
    }
    this.refill();
    if (remaining !== undefined && Number.isFinite(remaining)) {
      const refilled = ((this.now() - ticket.sentAt) / 1000) * this.shape.refillPerSecond;
      // Sent after this one, or sent before it and still unanswered: maybe not in `remaining` yet.
      let notYetCounted = this.sent - ticket.seq;
      for (const seq of this.inFlight) if (seq < ticket.seq) notYetCounted += 1;
      this.tokens = Math.min(Math.max(this.tokens, remaining - notYetCounted), remaining + refilled);
    }
    if (throttled) this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.now();
    if (!this.refilling) {
      this.at = now;
      return;
    }
    const gained = ((now - this.at) / 1000) * this.shape.refillPerSecond;
    // A stated figure above the documented size is believed; refilling alone never passes the size.
    if (this.tokens < this.shape.size) this.tokens = Math.min(this.shape.size, this.tokens + gained);
    this.at = now;
  }

  private async waitForToken(signal: AbortSignal | undefined): Promise<BudgetTicket> {
    for (;;) {
      if (signal?.aborted) throw new BudgetWaitAborted();
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.sent += 1;
        this.inFlight.add(this.sent);
        return { seq: this.sent, sentAt: this.now() };
      }
      await sleep(((1 - this.tokens) / this.shape.refillPerSecond) * 1000, signal);
    }
  }
}
