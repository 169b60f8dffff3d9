import { z } from 'zod';
import { errorLine } from '../errors';

/**
 * Asking ThreatFox whether it still holds an IOC, by its ThreatFox id (the `ioc` query), within a
 * run's budget of look-ups. Only a clean `no_result` says "withdrawn"; a timeout, a 429, a 5xx or
 * an answer that is not the record asked for is a failed look-up, which must change nothing.
 */

/** What answers the `ioc` query: the ThreatFox client (`ThreatFoxClient.iocById`) or a test's stand-in. */
export interface IocLookupSource {
  /** The record ThreatFox holds under `id`, unchecked, or undefined for `no_result`; throws on any failure. */
  iocById(id: number): Promise<unknown>;
}

export type LookupOutcome =
  | { status: 'present' }
  | { status: 'gone' }
  /** `transport`: ThreatFox itself failed (timeout, 429, 5xx, an unreadable answer); else the answer did not fit. */
  | { status: 'failed'; error: string; transport: boolean }
  /** Not asked: the run's budget is spent, its deadline passed, or ThreatFox kept failing. */
  | { status: 'notAsked' };

/** The part of a record that proves the answer is the IOC asked for. */
const answeredRecord = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  ioc: z.string().min(1),
});

const THREATFOX_ID = /^\d{1,15}$/;

/** One look-up, classified. Never throws. */
export async function lookUpIoc(source: IocLookupSource, id: string): Promise<LookupOutcome> {
  if (!THREATFOX_ID.test(id))
    return { status: 'failed', error: `not a ThreatFox IOC id: ${JSON.stringify(id)}`, transport: false };
  let answer: unknown;
  try {
    answer = await source.iocById(Number(id));
  } catch (e) {
    return { status: 'failed', error: errorLine(e) || 'look-up failed', transport: true };
  }
  if (answer === undefined) return { status: 'gone' };
  const record = answeredRecord.safeParse(answer);
  if (!record.success || record.data.id !== id)
    return {
      status: 'failed',
      error: `ThreatFox answered the look-up of IOC ${id} with something else`,
      transport: false,
    };
  return { status: 'present' };
}

export interface LookupBudgetOptions {
  /** Look-ups the run may send (THREATFOX_RECONCILE_BUDGET). */
  budget: number;
  /** Epoch ms after which nothing more is asked (the run's deadline). */
  deadlineAt?: number;
  /**
   * Failed look-ups in a row after which ThreatFox is left alone for this run (default 3). Only
   * ThreatFox's own failures count: an odd answer about one IOC says nothing of the service, and
   * counting it would let the same few odd IOCs, first in line every run, stop every run.
   */
  maxFailuresInARow?: number;
}

/**
 * A run's look-ups: one at a time (ThreatFox is a free service), each id asked once per run
 * however many workspaces hold it, and none past the budget, the deadline, or a string of failures
 * (a hanging or throttling ThreatFox is not asked again and again for the same answer).
 */
export class LookupBudget {
  private readonly answers = new Map<string, Promise<LookupOutcome>>();
  private sent = 0;
  private failuresInARow = 0;

  constructor(
    private readonly source: IocLookupSource,
    private readonly options: LookupBudgetOptions,
  ) {}

  /** Look-ups sent so far. */
  get used(): number {
    return this.sent;
  }

  /** Whether another look-up may still be sent. */
  get open(): boolean {
    const { budget, deadlineAt, maxFailuresInARow = 3 } = this.options;
    return (
      this.sent < budget &&
      this.failuresInARow < maxFailuresInARow &&
      (deadlineAt === undefined || Date.now() < deadlineAt)
    );
  }

  /** Whether `ids` can all be answered: already asked, or within what is left of the budget. */
  canAsk(ids: readonly string[]): boolean {
    const fresh = ids.filter((id) => !this.answers.has(id)).length;
    return fresh === 0 || (this.open && this.sent + fresh <= this.options.budget);
  }

  ask(id: string): Promise<LookupOutcome> {
    const known = this.answers.get(id);
    if (known) return known;
    if (!this.open) return Promise.resolve({ status: 'notAsked' });
    this.sent += 1;
    const answer = lookUpIoc(this.source, id).then((outcome) => {
      if (outcome.status !== 'failed') this.failuresInARow = 0;
      else if (outcome.transport) this.failuresInARow += 1;
      return outcome;
    });
    this.answers.set(id, answer);
    return answer;
  }
}
