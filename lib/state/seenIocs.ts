import { createHash } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { Ioc } from '../ioc/types';

/**
 * What has already landed in Sentinel, per family, as a fingerprint of the fields we write.
 * The timer enqueues only IOCs that are new or changed since they landed, so a run with nothing new
 * enqueues nothing; the queue function marks a batch as landed only after Sentinel accepted it, so
 * a batch lost on the way is sent again by the next pull.
 */
const partitionOf = (family: string) => `seen-${family.replace(/[^A-Za-z0-9._-]/g, '_')}`;

/** The seen-table RowKey of an IOC: a hash of type, value and port (one row per IOC within a family). */
export const seenRowKey = (ioc: Pick<Ioc, 'type' | 'value' | 'port'>) =>
  createHash('sha256')
    .update(`${ioc.type}|${ioc.value}|${ioc.port ?? ''}`)
    .digest('hex');

/** Changes to any of these change the indicator we would write. */
export function iocFingerprint(ioc: Ioc): string {
  const { threatType, confidence, firstSeen, lastSeen, tags, malware, reference } = ioc;
  return createHash('sha256')
    .update(JSON.stringify([threatType, confidence, firstSeen, lastSeen, [...(tags ?? [])].sort(), malware, reference]))
    .digest('hex');
}

type SeenEntity = {
  partitionKey: string;
  rowKey: string;
  fingerprint: string;
};

export async function filterNewOrChanged(table: TableClient, family: string, iocs: Ioc[]): Promise<Ioc[]> {
  if (iocs.length === 0) return [];
  const partitionKey = partitionOf(family);
  const seen = new Map<string, string>();
  const pages = table.listEntities<SeenEntity>({
    queryOptions: { filter: `PartitionKey eq '${partitionKey}'`, select: ['rowKey', 'fingerprint'] },
  });
  for await (const e of pages) seen.set(e.rowKey, e.fingerprint);
  return iocs.filter((ioc) => seen.get(seenRowKey(ioc)) !== iocFingerprint(ioc));
}

/** Entity group transactions take at most 100 entities of one partition. */
const TRANSACTION_LIMIT = 100;

export async function markLanded(table: TableClient, family: string, iocs: Ioc[]): Promise<void> {
  const partitionKey = partitionOf(family);
  const unique = new Map<string, SeenEntity>();
  for (const ioc of iocs) {
    const rowKey = seenRowKey(ioc);
    unique.set(rowKey, { partitionKey, rowKey, fingerprint: iocFingerprint(ioc) });
  }
  const entities = [...unique.values()];
  for (let i = 0; i < entities.length; i += TRANSACTION_LIMIT) {
    const actions: TransactionAction[] = entities.slice(i, i + TRANSACTION_LIMIT).map((e) => ['upsert', e, 'Replace']);
    await table.submitTransaction(actions);
  }
}
