import { app, type InvocationContext } from '@azure/functions';
import { runUpsert } from '../lib/jobs/upsert';
import { IOC_QUEUE, STORAGE_CONNECTION } from '../lib/names';
import { upsertDeps } from '../lib/services';
import { getServices, invocationOf } from './shared/context';
import { QUEUE_HOST_SETTINGS } from './shared/host';

export async function upsertToSentinel(message: unknown, context: InvocationContext): Promise<void> {
  const services = getServices();
  // The queue message id names the delivery in run history.
  const messageId = typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : undefined;
  const deps = await upsertDeps(services, {
    ...invocationOf(context, messageId),
    dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1),
    maxDequeueCount: QUEUE_HOST_SETTINGS.maxDequeueCount,
  });
  await runUpsert(message, deps);
}

app.storageQueue('upsertToSentinel', {
  queueName: IOC_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: upsertToSentinel,
});
