import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runDailyLifecycle } from '../lib/jobs/lifecycle';
import { runPull } from '../lib/jobs/pull';
import { lifecycleDeps, pullDeps } from '../lib/services';
import { getServices, invocationOf } from './shared/context';

/**
 * The timer sends its batches to the upsert queue (IOC_QUEUE) itself, with the Storage QueueClient
 * and host.json's message encoding, not through an output binding: a binding writes after the
 * handler returns, when the watermark has already moved, so a lost write would be noticed only by
 * the next daily full pull. Sending first lets the watermark move only once every message is
 * durably on the queue.
 */
export async function pullThreatFox(timer: Timer, context: InvocationContext): Promise<void> {
  const tickStartedAt = Date.now(); // the lifecycle step's run deadline counts from here, not from after the pull
  const services = getServices();
  const invocation = invocationOf(context);
  if (timer.isPastDue) invocation.logger.warn('timer is past due: catching up from the watermark');
  const pulled = await runPull(await pullDeps(services, invocation));
  // Once a day, after the full pull: withdrawn IOCs revoked, removed families' queries deleted.
  await runDailyLifecycle(pulled, { ...(await lifecycleDeps(services, invocation)), tickStartedAt });
}

app.timer('pullThreatFox', {
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: pullThreatFox,
});
