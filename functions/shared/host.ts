import hostJson from '../../host.json';
import type { MessageEncoding } from '../../lib/queue/batchMessage';

/** What the host does with queue messages (host.json), so our own sends and parking match it. */
export const QUEUE_HOST_SETTINGS = {
  maxDequeueCount: hostJson.extensions.queues.maxDequeueCount,
  messageEncoding: hostJson.extensions.queues.messageEncoding as MessageEncoding,
};
