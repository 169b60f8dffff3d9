import { groupBy } from '../groupBy';
import type { Ioc } from '../ioc/types';
import { prepareBatches, toQueueText } from '../queue/batches';
import type { AppStorage } from '../state/storage';

/**
 * Puts IOCs on the upsert queue directly (the timer does the same through its output binding):
 * per family, batches under the message size limit, claim-check blobs for big runs.
 * Returns the number of messages sent.
 */
export async function enqueueIocs(
  storage: Pick<AppStorage, 'iocQueue' | 'batchContainer'>,
  iocs: Ioc[],
  options: { runId: string; encoding?: 'base64' | 'none' },
): Promise<number> {
  let sent = 0;
  for (const [family, list] of groupBy(iocs, (i) => i.malware ?? '')) {
    for (const message of await prepareBatches(storage.batchContainer, list, { runId: options.runId, family })) {
      await storage.iocQueue.sendMessage(toQueueText(message, options.encoding ?? 'base64'));
      sent += 1;
    }
  }
  return sent;
}
