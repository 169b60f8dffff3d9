import { TableClient } from '@azure/data-tables';
import { recordRun, RUN_PARTITION, runRowKey, type RunRecord } from '../../lib/state/runHistory';
import { useAzurite } from '../support/azurite';
import { listRuns } from '../support/runHistory';

const run = (runId: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  trigger: 'timer',
  startedAt,
  status: 'succeeded',
  families: ['win.netsupportmanager_rat'],
  counts: { fetched: 10, iocs: 9, rejected: 1, enqueued: 9 },
  ...extra,
});

describe('runRowKey', () => {
  it('sorts newer runs first', () => {
    const keys = ['2026-06-20T10:00:00Z', '2026-06-20T12:00:00Z', '2025-01-01T00:00:00Z'].map((t) => runRowKey(t, 'r'));
    expect([...keys].sort()).toEqual([keys[1], keys[0], keys[2]]);
  });
});

describe('run history in Table storage', () => {
  const azurite = useAzurite();
  let table: TableClient;

  beforeEach(async () => {
    // A fresh table per test: each reads back only its own rows.
    table = TableClient.fromConnectionString(
      azurite().connectionString,
      `runs${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      {
        allowInsecureConnection: true,
      },
    );
    await table.createTable();
  });

  it('records runs so the table reads newest first, whatever order they were written in', async () => {
    await recordRun(table, run('b', '2026-06-20T11:00:00Z'));
    await recordRun(table, run('c', '2026-06-20T12:00:00Z', { trigger: 'http', pull: { mode: 'recent', days: 2 } }));
    await recordRun(table, run('a', '2026-06-20T10:00:00Z', { pull: { mode: 'full' } }));
    await table.upsertEntity({ partitionKey: 'watermark', rowKey: 'x', lastSuccess: '2026-06-20T12:00:00Z' });

    const all = await listRuns(table, 10);
    expect(all.map((r) => r.runId)).toEqual(['c', 'b', 'a']);
    expect(all[0]).toEqual(run('c', '2026-06-20T12:00:00Z', { trigger: 'http', pull: { mode: 'recent', days: 2 } }));
    expect(all[2].pull).toEqual({ mode: 'full' });
    expect((await listRuns(table, 2)).map((r) => r.runId)).toEqual(['c', 'b']);
  });

  it('orders many runs recorded concurrently', async () => {
    const starts = Array.from({ length: 25 }, (_, i) => new Date(Date.UTC(2026, 0, 1, i)).toISOString());
    await Promise.all(starts.map((t, i) => recordRun(table, run(`r${i}`, t))));
    const got = await listRuns(table, 25);
    expect(got.map((r) => r.runId)).toEqual(starts.map((_, i) => `r${i}`).reverse());
  });

  it('rewrites a run recorded twice (running, then finished) in place, dropping stale fields', async () => {
    const startedAt = '2026-06-20T12:00:00Z';
    await recordRun(table, run('x', startedAt, { status: 'running', counts: { fetched: 3 }, error: 'transient' }));
    await recordRun(
      table,
      run('x', startedAt, {
        status: 'partial',
        finishedAt: '2026-06-20T12:05:00Z',
        counts: { indicatorsCreated: 5, indicatorsFailed: 1, queriesUpdated: 2 },
      }),
    );
    const rows = await listRuns(table, 10);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'partial', finishedAt: '2026-06-20T12:05:00Z' });
    expect(rows[0].counts).toEqual({ indicatorsCreated: 5, indicatorsFailed: 1, queriesUpdated: 2 });
    expect(rows[0].error).toBeUndefined();
  });

  it('stores counts as integer columns and truncates a long error', async () => {
    await recordRun(table, run('e', '2026-06-20T12:00:00Z', { status: 'failed', error: 'x'.repeat(10_000) }));
    const entity = await table.getEntity<Record<string, unknown>>(
      RUN_PARTITION,
      runRowKey('2026-06-20T12:00:00Z', 'e'),
    );
    expect(entity.fetched).toBe(10);
    expect(entity.families).toBe('["win.netsupportmanager_rat"]');
    expect((entity.error as string).length).toBe(4001);
  });

  it('validates what it records', async () => {
    await expect(recordRun(table, run('v', 'noon'))).rejects.toThrow();
    await expect(recordRun(table, { ...run('v', '2026-06-20T12:00:00Z'), counts: { iocs: -1 } })).rejects.toThrow();
  });
});
