import pLimit from 'p-limit';

/**
 * The one place that decides how many workspaces are written at once: ARM throttles writes per
 * subscription, so workspaces of one subscription take turns while other subscriptions run alongside.
 */

/**
 * Runs `work` for every workspace, at most `perSubscription` at a time within one subscription,
 * subscriptions in parallel. Never rejects: each workspace's outcome (or error) comes back in the
 * order given, so one workspace failing never holds back the others.
 */
export async function forEachWorkspace<W, T>(
  workspaces: readonly W[],
  subscriptionOf: (workspace: W) => string,
  work: (workspace: W) => Promise<T>,
  { perSubscription = 1 }: { perSubscription?: number } = {},
): Promise<Array<{ workspace: W; ok: true; value: T } | { workspace: W; ok: false; error: unknown }>> {
  const limits = new Map<string, ReturnType<typeof pLimit>>();
  const limitFor = (subscriptionId: string) => {
    const key = subscriptionId.toLowerCase();
    let limit = limits.get(key);
    if (!limit) limits.set(key, (limit = pLimit(Math.max(1, perSubscription))));
    return limit;
  };
  return Promise.all(
    workspaces.map((workspace) =>
      limitFor(subscriptionOf(workspace))(async () => {
        try {
          return { workspace, ok: true as const, value: await work(workspace) };
        } catch (error) {
          return { workspace, ok: false as const, error };
        }
      }),
    ),
  );
}
