import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import { runDailyLifecycle } from '../../lib/jobs/lifecycle';
import { runPull } from '../../lib/jobs/pull';
import { silentLogger } from '../../lib/logger';
import { BATCH_CONTAINER } from '../../lib/names';
import { runSync } from '../../lib/pipeline';
import { ThreatFoxClient } from '../../lib/threatfox/client';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import {
  COBALT_STRIKE,
  FAKE_AUTH_KEY,
  NETSUPPORT,
  SEED_NOW,
  startThreatFoxFake,
  type ThreatFoxFake,
} from '../fakes/threatfoxServer';
import { connect } from '../sentinel/harness';
import { useAzurite } from '../support/azurite';
import { listRuns } from '../support/runHistory';

describe('the timer: lifecycle after its daily full pull', () => {
  const azurite = useAzurite();
  let arm: ArmFake;
  let tf: ThreatFoxFake;
  let table: TableClient;
  let container: ContainerClient;
  let queue: QueueClient;
  let n = 0;

  beforeEach(async () => {
    arm = await startArmFake();
    tf = await startThreatFoxFake({ now: SEED_NOW });
    const cs = azurite().connectionString;
    table = TableClient.fromConnectionString(cs, `lifecycletest${++n}`, { allowInsecureConnection: true });
    await table.createTable();
    container = new ContainerClient(cs, BATCH_CONTAINER);
    await container.createIfNotExists();
    queue = new QueueClient(cs, `lifecycle-test-${n}`);
    await queue.createIfNotExists();
  });
  afterEach(() => Promise.all([arm.close(), tf.close()]));

  it('revokes what ThreatFox withdrew and removes the queries of a family no longer configured, once a day', async () => {
    const stores = connect(arm);
    const client = new ThreatFoxClient({ apiUrl: tf.url, authKey: FAKE_AUTH_KEY, maxRetries: 0 });
    // Both families were configured yesterday: their indicators and hunting queries are in Sentinel.
    const before = loadSettings({ THREATFOX_MALWARE: `${NETSUPPORT},${COBALT_STRIKE}` });
    await runSync(
      { kind: 'threatfox', mode: 'full', malware: [NETSUPPORT, COBALT_STRIKE], days: 1, limit: 1000 },
      { settings: before, threatfox: client, stores: [stores], now: SEED_NOW },
      { dryRun: false },
    );
    const cobaltQueries = [...arm.savedSearches.keys()].filter((id) => id.includes('cobalt')).length;
    tf.removeIoc('1580112');

    const settings = loadSettings({ THREATFOX_MALWARE: NETSUPPORT, THREATFOX_RECONCILE_BUDGET: '100' });
    const tick = (runId: string) =>
      runPull({
        settings,
        threatfox: client,
        storage: { stateTable: table, batchContainer: container, iocQueue: queue },
        logger: silentLogger,
        runId,
        now: SEED_NOW,
      });
    const deps = (runId: string) => ({
      settings,
      lookup: () => client,
      sentinel: () => [stores],
      storage: { stateTable: table },
      logger: silentLogger,
      runId,
      now: SEED_NOW,
    });

    const firstTick = await tick('tick-1');
    const daily = await runDailyLifecycle(firstTick, deps('tick-1'));
    expect(daily?.reconcile).toMatchObject({ revoked: 1, lookupFailed: 0, notChecked: 0 });
    expect(daily?.huntingQueriesRemoved).toEqual({ [COBALT_STRIKE]: cobaltQueries });
    const revoked = [...arm.indicators.values()].filter((i) => i.properties.revoked === true);
    expect(revoked.map((i) => i.properties.pattern)).toEqual(["[domain-name:value = 'node54group.com']"]);
    const [row] = (await listRuns(table)).filter((r) => r.runId === 'tick-1/lifecycle');
    expect(row).toMatchObject({
      status: 'succeeded',
      counts: { reconcileRevoked: 1, queriesRemovedForFamilies: cobaltQueries },
    });

    // The next tick pulls the recent window only: no lifecycle step, no look-up.
    tf.requests.length = 0;
    // Families keep their own full-pull days: another family's full pull the same day runs no second step.
    expect(firstTick.families.some((f) => f.window.mode === 'full')).toBe(true);
    expect(await runDailyLifecycle(firstTick, deps('tick-1b'))).toBeUndefined();
    expect(await runDailyLifecycle(await tick('tick-2'), deps('tick-2'))).toBeUndefined();
    expect(tf.requests.filter((r) => (r.body as { query?: string }).query === 'ioc')).toEqual([]);
  });
});
