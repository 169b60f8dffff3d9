import { InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';

export interface Delivery {
  outcome: 'completed' | 'failed' | 'poisoned';
  dequeueCount: number;
  error?: string;
  /** What the handler logged during this delivery (level, line), as the host would have received it. */
  logs: Array<{ level: string; line: string }>;
}

/**
 * Does what the Functions host does for a queue trigger, over a real (Azurite) queue: receive, decode
 * base64 (host.json messageEncoding), parse JSON, call the handler with the trigger metadata; delete on
 * success; on failure make the message visible again, and after maxDequeueCount move it to the poison
 * queue. Returns one entry per delivery.
 */
export async function drainQueue(
  queue: QueueClient,
  poison: QueueClient,
  handler: (message: unknown, context: InvocationContext) => Promise<void>,
  maxDequeueCount = 5,
): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (;;) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 });
    if (items.length === 0) return deliveries;
    const item = items[0];
    const text = Buffer.from(item.messageText, 'base64').toString('utf8');
    let message: unknown = text;
    try {
      message = JSON.parse(text);
    } catch {
      // the host hands over a string when the body is not JSON
    }
    const logs: Delivery['logs'] = [];
    const context = new InvocationContext({
      invocationId: `inv-${item.messageId}-${item.dequeueCount}`,
      functionName: 'upsertToSentinel',
      triggerMetadata: { id: item.messageId, dequeueCount: item.dequeueCount, popReceipt: item.popReceipt },
      // The host would send these to Application Insights; kept here instead of the console.
      logHandler: (level, ...args) => logs.push({ level, line: args.map(String).join(' ') }),
    });
    try {
      await handler(message, context);
      await queue.deleteMessage(item.messageId, item.popReceipt);
      deliveries.push({ outcome: 'completed', dequeueCount: item.dequeueCount, logs });
    } catch (e) {
      const error = (e as Error).message;
      if (item.dequeueCount >= maxDequeueCount) {
        await poison.sendMessage(item.messageText);
        await queue.deleteMessage(item.messageId, item.popReceipt);
        deliveries.push({ outcome: 'poisoned', dequeueCount: item.dequeueCount, error, logs });
      } else {
        await queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
        deliveries.push({ outcome: 'failed', dequeueCount: item.dequeueCount, error, logs });
      }
    }
  }
}
