import { app, output, type InvocationContext, type Timer } from '@azure/functions';
import { runPull } from '../lib/jobs/pull';
import { IOC_QUEUE, STORAGE_CONNECTION } from '../lib/queue/constants';
import { getServices, invocationLogger } from './shared/context';

/** Where the pulled batches go; `upsertToSentinel` consumes them. */
export const iocQueueOutput = output.storageQueue({ queueName: IOC_QUEUE, connection: STORAGE_CONNECTION });

export async function pullThreatFox(timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  const logger = invocationLogger(context);
  if (timer.isPastDue) logger.warn('timer is past due: catching up from the watermark');
  const result = await runPull({
    settings: services.settings,
    threatfox: services.threatfox(logger),
    storage: await services.storage(),
    logger,
    runId: context.invocationId,
  });
  context.extraOutputs.set(iocQueueOutput, result.messages);
}

app.timer('pullThreatFox', {
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  extraOutputs: [iocQueueOutput],
  handler: pullThreatFox,
});
