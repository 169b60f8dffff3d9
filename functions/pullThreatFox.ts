import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runPull } from '../lib/jobs/pull';
import { getServices, invocationLogger } from './shared/context';
import { QUEUE_HOST_SETTINGS } from './shared/host';

/**
 * The timer sends its batches to the upsert queue (IOC_QUEUE) itself, with the Storage QueueClient
 * and host.json's message encoding, not through an output binding: a binding writes after the
 * handler returns, when the watermark has already moved, so a lost write would be noticed only by
 * the next daily full pull. Sending first lets the watermark move only once every message is
 * durably on the queue.
 */
export async function pullThreatFox(timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  const logger = invocationLogger(context);
  if (timer.isPastDue) logger.warn('timer is past due: catching up from the watermark');
  await runPull({
    settings: services.settings,
    threatfox: services.threatfox(logger),
    storage: await services.storage(),
    logger,
    runId: context.invocationId,
    messageEncoding: QUEUE_HOST_SETTINGS.messageEncoding,
  });
}

app.timer('pullThreatFox', {
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: pullThreatFox,
});
