import { app, type InvocationContext } from '@azure/functions';
import { runUpsert } from '../lib/jobs/upsert';
import { IOC_QUEUE, STORAGE_CONNECTION } from '../lib/names';
import { getServices, invocationLogger } from './shared/context';
import { QUEUE_HOST_SETTINGS } from './shared/host';

export async function upsertToSentinel(message: unknown, context: InvocationContext): Promise<void> {
  const services = getServices();
  const logger = invocationLogger(context);
  await runUpsert(message, {
    settings: services.settings,
    stores: services.sentinel(),
    storage: await services.storage(),
    logger,
    runId: typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : context.invocationId,
    dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1),
    maxDequeueCount: QUEUE_HOST_SETTINGS.maxDequeueCount,
    messageEncoding: QUEUE_HOST_SETTINGS.messageEncoding,
  });
}

app.storageQueue('upsertToSentinel', {
  queueName: IOC_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: upsertToSentinel,
});
