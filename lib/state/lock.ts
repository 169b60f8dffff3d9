import type { ContainerClient } from '@azure/storage-blob';
import { errorMessage, SyncError } from '../errors';
import { silentLogger, type Logger } from '../logger';

/**
 * One holder at a time across instances: a blob lease on `locks/<name>`. The lease is short and
 * renewed while the work runs, so a crashed holder frees it within `leaseSeconds`; a holder that
 * loses it (renewal refused) fails its run instead of finishing alongside the next holder.
 */

/**
 * Sentinel writes take this lock: two batches writing at once would each rebuild hunting queries
 * from what they saw (the later PUT dropping the other's IOCs), and two families creating the same
 * observable would make duplicates. ARM throttles writes per subscription, so little is lost.
 */
export const SENTINEL_WRITE_LOCK = 'sentinel-writes';

export interface LockOptions {
  /** How long to wait for the lock before giving up (the message is then retried). */
  waitMs?: number;
  /** 15-60 s, the service's range for a finite lease. */
  leaseSeconds?: number;
  logger?: Logger;
}

const statusOf = (e: unknown) => (e as { statusCode?: number } | undefined)?.statusCode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withLock<T>(container: ContainerClient, name: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  // Default wait: most of the 30-minute function timeout, since a holder may be writing thousands.
  const { waitMs = 25 * 60_000, leaseSeconds = 30, logger = silentLogger } = options;
  const blob = container.getBlockBlobClient(`locks/${encodeURIComponent(name)}`);
  const ensureBlob = async () => {
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (e) {
      // 409: it exists; 412: it exists and is leased right now. Either way there is a blob to lease.
      if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
    }
  };
  await ensureBlob();
  const lease = blob.getBlobLeaseClient();
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await lease.acquireLease(leaseSeconds);
      break;
    } catch (e) {
      // The lock blob can vanish between runs (the container's lifecycle rule sweeps idle blobs).
      if (statusOf(e) === 404) {
        await ensureBlob();
        continue;
      }
      if (statusOf(e) !== 409) throw e;
      if (Date.now() >= deadline) throw new SyncError('AZURE', `lock ${name} is held by another run for over ${waitMs} ms; will retry`);
      if (attempt === 1) logger.info({ lock: name }, 'waiting for another run to finish');
      await sleep(Math.min(2000, 100 * attempt) + Math.random() * 100);
    }
  }
  let lastRenewed = Date.now();
  let lost = false;
  const renew = setInterval(() => {
    lease.renewLease().then(
      () => (lastRenewed = Date.now()),
      (e) => {
        // 409/412: the lease was broken or is someone else's now. Otherwise it is lost once it has expired.
        if (statusOf(e) === 409 || statusOf(e) === 412 || Date.now() - lastRenewed >= leaseSeconds * 1000) lost = true;
        logger.warn({ lock: name, err: errorMessage(e), lost }, 'lock renewal failed');
      },
    );
  }, (leaseSeconds * 1000) / 3);
  renew.unref();
  try {
    const result = await work();
    if (lost) throw new SyncError('AZURE', `lost lock ${name} while working: another run may have overlapped; retrying`);
    return result;
  } finally {
    clearInterval(renew);
    if (!lost) await lease.releaseLease().catch((e) => logger.warn({ lock: name, err: errorMessage(e) }, 'lock release failed; it expires on its own'));
  }
}
