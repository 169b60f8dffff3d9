import type { ContainerClient } from '@azure/storage-blob';
import { SyncError } from '../errors';
import { silentLogger, type Logger } from '../logger';

/**
 * One writer per family at a time, across instances: a blob lease on `locks/<family>`.
 * Two batches of one family upserting at once would each rebuild the family's hunting queries from
 * what they saw, and the later PUT would drop the other batch's IOCs. The lease is short and
 * renewed while the work runs, so a crashed holder frees it within `leaseSeconds`.
 */
export interface FamilyLockOptions {
  /** How long to wait for the lock before giving up (the message is then retried). */
  waitMs?: number;
  /** 15-60 s, the service's range for a finite lease. */
  leaseSeconds?: number;
  logger?: Logger;
}

const statusOf = (e: unknown) => (e as { statusCode?: number } | undefined)?.statusCode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withFamilyLock<T>(
  container: ContainerClient,
  family: string,
  work: () => Promise<T>,
  options: FamilyLockOptions = {},
): Promise<T> {
  const { waitMs = 5 * 60_000, leaseSeconds = 30, logger = silentLogger } = options;
  const blob = container.getBlockBlobClient(`locks/${encodeURIComponent(family)}`);
  try {
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
  } catch (e) {
    // 409: it exists; 412: it exists and is leased right now. Either way there is a blob to lease.
    if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
  }
  const lease = blob.getBlobLeaseClient();
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await lease.acquireLease(leaseSeconds);
      break;
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
      if (Date.now() >= deadline) throw new SyncError('AZURE', `family ${family} is locked by another run for over ${waitMs} ms; will retry`);
      if (attempt === 1) logger.info({ family }, 'waiting for another run of this family to finish');
      await sleep(Math.min(2000, 100 * attempt) + Math.random() * 100);
    }
  }
  const renew = setInterval(() => {
    lease.renewLease().catch((e) => logger.warn({ family, err: (e as Error).message }, 'lock renewal failed'));
  }, (leaseSeconds * 1000) / 3);
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await lease.releaseLease().catch((e) => logger.warn({ family, err: (e as Error).message }, 'lock release failed; it expires on its own'));
  }
}
