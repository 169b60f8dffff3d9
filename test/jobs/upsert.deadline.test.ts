import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { loadSettings } from '../../lib/config';
import type { Ioc } from '../../lib/ioc/types';
import { runUpsert } from '../../lib/jobs/upsert';
import { silentLogger } from '../../lib/logger';
import { planBatches } from '../../lib/queue/batchSender';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { useAzurite } from '../support/azurite';
import { connect } from '../sentinel/harness';

/** Issue 9, item 2, on the queue path: a batch whose ARM requests never answer ends at its deadline and is retried. */

const FAMILY = 'win.netsupportmanager_rat';
const iocs: Ioc[] = Array.from({ length: 5 }, (_, i) => ({
  type: 'domain',
  value: `q${i}.example.com`,
  malware: FAMILY,
  firstSeen: '2026-11-20T00:00:00Z',
}));

describe('runUpsert under its run deadline', () => {
  const azurite = useAzurite();
  let arm: ArmFake;

  beforeAll(async () => {
    arm = await startArmFake();
  });
  afterAll(() => arm.close());

  it('throws (so the host retries the message) with every unfinished write counted as failed, and records the run as partial', async () => {
    const cs = azurite().connectionString;
    const container = new ContainerClient(cs, 'deadline-test');
    await container.createIfNotExists();
    const table = TableClient.fromConnectionString(cs, 'deadlinetest', { allowInsecureConnection: true });
    await table.createTable();
    const poison = new QueueClient(cs, 'deadline-test-poison');
    await poison.createIfNotExists();

    arm.failAlways({
      hang: true,
      match: (r) => r.operation === 'createIndicator' && JSON.stringify(r.body).includes('q2.example.com'),
    });
    const { workspace, indicators, savedSearches } = connect(arm, { requestTimeoutMs: 600_000 });
    const [batch] = planBatches(iocs, { runId: 'run-1', family: FAMILY });
    const started = Date.now();
    await expect(
      runUpsert(batch, {
        settings: loadSettings({ RUN_DEADLINE_SECONDS: '2' }),
        stores: [{ workspace, indicators, savedSearches }],
        storage: { stateTable: table, batchContainer: container, poisonQueue: poison },
        logger: silentLogger,
        runId: 'delivery-1',
      }),
    ).rejects.toMatchObject({ code: 'AZURE', message: expect.stringMatching(/RUN_DEADLINE/) });
    // Ended by the deadline, not by the 600 s request timeout.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(arm.indicators.size).toBe(iocs.length - 1);

    const runs = [];
    for await (const e of table.listEntities<{ status: string; indicatorsFailed?: number }>()) runs.push(e);
    expect(runs.map((r) => r.status)).toContain('partial');
  });
});
