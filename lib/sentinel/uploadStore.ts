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

/** Resolves once and keeps the answer; a failure is not kept, so the next call asks again. */
function keptOnSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= load().catch((e: unknown) => {
      kept = undefined;
      throw e;
    });
    return kept;
  };
}

/** Uploads one batch and settles each of its calls: a per-object refusal rejects just that call. */
async function uploadBatch(client: UploadClient, workspaceId: () => Promise<string>, batch: Pending[]): Promise<void> {
  try {
    const answer = await client.upload(
      await workspaceId(),
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
}

/** Collects the writer's calls into batches of `batchSize`; a batch not full is sent after a turn of the event loop. */
class Batcher {
  private readonly queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly batchSize: number,
    private readonly send: (batch: Pending[]) => Promise<void>,
  ) {}

  enqueue(object: StixIndicator, body: ThreatIntelligenceIndicatorModel): Promise<StoredIndicator> {
    return new Promise<StoredIndicator>((resolve, reject) => {
      this.queue.push({ object, body, resolve, reject });
      if (this.queue.length >= this.batchSize) {
        void this.send(this.queue.splice(0, this.batchSize));
      } else if (!this.scheduled) {
        // The writer starts its tasks together: wait a turn of the event loop so they share batches.
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) void this.send(this.queue.splice(0, this.batchSize));
  }
}

/** Milliseconds of an ISO time plus `by`, or -∞ when there is none. */
const after = (iso: string | undefined, by: number) =>
  iso && !Number.isNaN(Date.parse(iso)) ? Date.parse(iso) + by : Number.NEGATIVE_INFINITY;

/** The STIX object for a body: a replacement keeps the existing object's id and `created`. */
function stixFor(
  body: ThreatIntelligenceIndicatorModel,
  existing: Existing | undefined,
  options: { source: string; now: number },
): StixIndicator {
  if (!body.pattern) throw new RangeError('an indicator needs a pattern');
  const { now } = options;
  // The service keeps the version with the latest `modified`: ours must be later than the one it
  // holds even if its clock runs ahead of ours, and never before `created`.
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

export function uploadIndicatorStore(options: UploadStoreOptions): UploadIndicatorStore {
  const batchSize = Math.min(options.batchSize ?? MAX_OBJECTS_PER_UPLOAD, MAX_OBJECTS_PER_UPLOAD);
  const inFlight = Math.max(1, options.batchesInFlight ?? 4);
  const clock = options.clock ?? (() => new Date());
  const limit = pLimit(inFlight);
  /** What the read saw of each indicator: its STIX id and creation time, so a replacement is the same object. */
  const known = new Map<string, Existing>();
  const workspaceId = keptOnSuccess(options.workspaceId);
  const batcher = new Batcher(batchSize, (batch) => limit(() => uploadBatch(options.client, workspaceId, batch)));
  const stix = (body: ThreatIntelligenceIndicatorModel, existing?: Existing) =>
    stixFor(body, existing, { source: options.source, now: clock().getTime() });

  return {
    writeConcurrency: batchSize * inFlight,
    // The ARM store's listing, with its completeness check: the upload path reads as the ARM path does.
    async *listBySource(source, list) {
      for await (const item of options.arm.listBySource(source, list)) {
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
      return batcher.enqueue(stix(body), body);
    },
    async update(name, body) {
      return batcher.enqueue(stix(body, known.get(name)), body);
    },
    remove: (name) => options.arm.remove(name),
  };
}
