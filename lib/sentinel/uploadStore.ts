import type { ThreatIntelligenceIndicatorModel } from '@azure/arm-securityinsight';
import pLimit from 'p-limit';
import type { IndicatorStore, StoredIndicator } from './indicatorStore';
import { isStixIndicatorId, stixIndicatorId, toStixIndicator, type StixIndicator } from './stixObject';
import { MAX_OBJECTS_PER_UPLOAD, UploadError, type UploadClient } from './uploadClient';

/**
 * The indicator store of the upload write path: reading (and removing a duplicate) stays on ARM,
 * creating and replacing go through the STIX objects upload API, 100 objects a request.
 *
 * It is a drop-in `IndicatorStore`, so the writer's read → diff → write plan is the same on both
 * paths: only what the diff says is new or changed is sent. Each create/update call joins the
 * batch being filled and settles when that batch is answered (a per-object refusal rejects just
 * that call). Run the writer with a concurrency of `batchSize × batchesInFlight` (see
 * `writeConcurrency`) so batches fill up.
 */

export interface UploadStoreOptions {
  /** The ARM store: queryIndicators for reads, delete for duplicates. */
  arm: IndicatorStore;
  client: UploadClient;
  /** The workspace's customerId (Log Analytics workspace id), resolved once, on the first write. */
  workspaceId: () => Promise<string>;
  source: string;
  batchSize?: number;
  /** Upload requests in flight at once for this workspace. */
  batchesInFlight?: number;
  /** `modified` of the objects sent; must grow from one version to the next. */
  clock?: () => Date;
}

export interface UploadIndicatorStore extends IndicatorStore {
  /** How many writer tasks keep every batch full. */
  readonly writeConcurrency: number;
}

/** What the read saw of an indicator: its STIX id, when it was created and last changed. */
interface Existing {
  stixId?: string;
  created?: string;
  modified?: string;
}

interface Pending {
  object: StixIndicator;
  body: ThreatIntelligenceIndicatorModel;
  resolve: (v: StoredIndicator) => void;
  reject: (e: unknown) => void;
}

export function uploadIndicatorStore(options: UploadStoreOptions): UploadIndicatorStore {
  const batchSize = Math.min(options.batchSize ?? MAX_OBJECTS_PER_UPLOAD, MAX_OBJECTS_PER_UPLOAD);
  const inFlight = Math.max(1, options.batchesInFlight ?? 4);
  const clock = options.clock ?? (() => new Date());
  const limit = pLimit(inFlight);
  /** What the read saw of each indicator: its STIX id and creation time, so a replacement is the same object. */
  const known = new Map<string, Existing>();
  let workspaceId: Promise<string> | undefined;
  const queue: Pending[] = [];
  let scheduled = false;

  const resolveWorkspace = () => {
    workspaceId ??= options.workspaceId().catch((e) => {
      workspaceId = undefined; // the next write asks again
      throw e;
    });
    return workspaceId;
  };

  function send(batch: Pending[]): Promise<void> {
    return limit(async () => {
      try {
        const id = await resolveWorkspace();
        const answer = await options.client.upload(
          id,
          batch.map((p) => p.object),
        );
        batch.forEach((p, i) => {
          const refused = answer.rejected.get(i);
          if (refused !== undefined)
            p.reject(new UploadError(`upload refused ${p.object.id}: ${refused}`, { code: 'ObjectRejected' }));
          else p.resolve({ name: p.object.id, properties: { ...p.body, externalId: p.object.id } });
        });
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    });
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) void send(queue.splice(0, batchSize));
  }

  function enqueue(object: StixIndicator, body: ThreatIntelligenceIndicatorModel): Promise<StoredIndicator> {
    return new Promise<StoredIndicator>((resolve, reject) => {
      queue.push({ object, body, resolve, reject });
      if (queue.length >= batchSize) {
        void send(queue.splice(0, batchSize));
      } else if (!scheduled) {
        // The writer starts its tasks together: wait a turn of the event loop so they share batches.
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  function stixFor(body: ThreatIntelligenceIndicatorModel, existing?: Existing): StixIndicator {
    if (!body.pattern) throw new RangeError('an indicator needs a pattern');
    const now = clock().getTime();
    // The service keeps the version with the latest `modified`: ours must be later than the one it
    // holds even if its clock runs ahead of ours, and never before `created`.
    const after = (iso: string | undefined, by: number) =>
      iso && !Number.isNaN(Date.parse(iso)) ? Date.parse(iso) + by : Number.NEGATIVE_INFINITY;
    const created =
      existing?.created && !Number.isNaN(Date.parse(existing.created)) ? existing.created : new Date(now).toISOString();
    const modified = Math.max(now, after(existing?.modified, 1), after(created, 0));
    return toStixIndicator(body, {
      // An indicator created through ARM keeps its own STIX id, so replacing it never makes a second one.
      id: existing?.stixId ?? stixIndicatorId(options.source, body.pattern),
      created,
      modified: new Date(modified).toISOString(),
    });
  }

  return {
    writeConcurrency: batchSize * inFlight,
    async *listBySource(source) {
      for await (const item of options.arm.listBySource(source)) {
        const p = item.properties;
        known.set(item.name, {
          stixId: isStixIndicatorId(p.externalId) ? p.externalId : undefined,
          created: p.created,
          modified: p.lastUpdatedTimeUtc,
        });
        yield item;
      }
    },
    async create(body) {
      return enqueue(stixFor(body), body);
    },
    async update(name, body) {
      return enqueue(stixFor(body, known.get(name)), body);
    },
    remove: (name) => options.arm.remove(name),
  };
}
