import type { QueueClient } from '@azure/storage-queue';
import { groupBy } from '../groupBy';
import type { Ioc } from '../ioc/types';
import { toQueueText, type IocBatchMessage, type MessageEncoding } from '../queue/batchMessage';
import { prepareBatches } from '../queue/batchSender';
import type { AppStorage } from '../state/storage';

/**
 * Sends messages to the upsert queue, in order, and returns once the queue has accepted every
 * one (each `sendMessage` resolves only after Storage stored it). A failure throws at the message
 * that failed: callers move their watermark only after this returns.
 */
export async function sendBatches(
  queue: QueueClient,
  messages: readonly IocBatchMessage[],
  encoding: MessageEncoding = 'base64',
): Promise<void> {
  for (const message of messages) await queue.sendMessage(toQueueText(message, encoding));
}

/**
 * Puts IOCs on the upsert queue directly (the HTTP trigger's big writes): per family, batches
 * under the message size limit, claim-check blobs for big runs. Returns the number of messages sent.
 */
export async function enqueueIocs(
  storage: Pick<AppStorage, 'iocQueue' | 'batchContainer'>,
  iocs: Ioc[],
  options: { runId: string; encoding?: MessageEncoding },
): Promise<number> {
  let sent = 0;
  for (const [family, list] of groupBy(iocs, (i) => i.malware ?? '')) {
    const messages = await prepareBatches(storage.batchContainer, list, { runId: options.runId, family });
    await sendBatches(storage.iocQueue, messages, options.encoding);
    sent += messages.length;
  }
  return sent;
}
