import { TokenBudget, type BucketShape } from './tokenBudget';

/**
 * ARM's subscription buckets (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling,
 * "Regional throttling and token bucket algorithm"): writes and deletes each 200 at once, refilled
 * at 10 a second, per subscription, per principal and per operation type.
 */
export const ARM_WRITE_BUCKET: BucketShape = { size: 200, refillPerSecond: 10 };

/** ARM's operation types with a write bucket, and the header that states what is left of each. */
export type ArmWriteKind = 'writes' | 'deletes';

export const remainingHeader = (kind: ArmWriteKind) => `x-ms-ratelimit-remaining-subscription-${kind}`;

/** GET and HEAD are reads (their own, larger bucket, not paced); DELETE a delete; the rest writes. */
export function writeKind(method: string): ArmWriteKind | undefined {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return undefined;
  return m === 'DELETE' ? 'deletes' : 'writes';
}

/**
 * One principal's write budgets, one per subscription and operation type, shared by every ARM
 * client that principal uses: several workspaces in one subscription spend one budget.
 */
export class ArmWriteBudgets {
  private readonly budgets = new Map<string, TokenBudget>();
  constructor(readonly shape: BucketShape = ARM_WRITE_BUCKET) {}

  /** The budget a request spends, or none (a read, or a URL outside a subscription). */
  budgetFor(method: string, url: string): { budget: TokenBudget; kind: ArmWriteKind } | undefined {
    const kind = writeKind(method);
    const subscription = /\/subscriptions\/([^/?#]+)/i.exec(new URL(url).pathname)?.[1];
    if (!kind || !subscription) return undefined;
    const key = `${subscription.toLowerCase()}|${kind}`;
    let budget = this.budgets.get(key);
    if (!budget) this.budgets.set(key, (budget = new TokenBudget(this.shape)));
    return { budget, kind };
  }
}

const byPrincipal = new WeakMap<object, Map<string, ArmWriteBudgets>>();

/**
 * The budgets of one principal (known here by its credential object: one per worker) at one ARM
 * endpoint, created on first use. `shape` applies only when they are created.
 */
export function sharedArmWriteBudgets(credential: object, endpoint: string, shape?: BucketShape): ArmWriteBudgets {
  let endpoints = byPrincipal.get(credential);
  if (!endpoints) byPrincipal.set(credential, (endpoints = new Map<string, ArmWriteBudgets>()));
  let budgets = endpoints.get(endpoint);
  if (!budgets) endpoints.set(endpoint, (budgets = new ArmWriteBudgets(shape)));
  return budgets;
}
