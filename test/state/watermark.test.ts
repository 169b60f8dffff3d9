import { TableClient } from '@azure/data-tables';
import { safeRowKey } from '../../lib/state/rowKey';
import { getWatermark, pullWindow, setWatermark, WATERMARK_PARTITION } from '../../lib/state/watermark';
import { useAzurite } from '../support/azurite';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-06-20T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

describe('pullWindow', () => {
  it('pulls everything by family when there is no usable watermark', () => {
    expect(pullWindow(undefined, NOW)).toEqual({ mode: 'full' });
    expect(pullWindow('not a time', NOW)).toEqual({ mode: 'full' });
  });

  it('asks for at least one day after a normal hourly run', () => {
    expect(pullWindow(ago(HOUR), NOW)).toEqual({ mode: 'recent', days: 1 });
    expect(pullWindow(ago(0), NOW)).toEqual({ mode: 'recent', days: 1 });
  });

  it('rounds the gap up and adds the overlap', () => {
    expect(pullWindow(ago(2 * DAY + HOUR), NOW)).toEqual({ mode: 'recent', days: 3 });
    // 23.5 h + 1 h overlap crosses the day boundary.
    expect(pullWindow(ago(23.5 * HOUR), NOW)).toEqual({ mode: 'recent', days: 2 });
  });

  it('never asks for more days than get_iocs allows while the gap is reachable', () => {
    expect(pullWindow(ago(6.99 * DAY), NOW)).toEqual({ mode: 'recent', days: 7 });
    expect(pullWindow(ago(7 * DAY), NOW)).toEqual({ mode: 'recent', days: 7 });
  });

  it('falls back to a full pull past the limit', () => {
    expect(pullWindow(ago(7 * DAY + 1000), NOW)).toEqual({ mode: 'full' });
    expect(pullWindow(ago(30 * DAY), NOW)).toEqual({ mode: 'full' });
    expect(pullWindow(ago(3 * DAY), NOW, 2)).toEqual({ mode: 'full' });
  });

  it('treats a watermark in the future (clock skew) as just now', () => {
    expect(pullWindow(ago(-2 * HOUR), NOW)).toEqual({ mode: 'recent', days: 1 });
  });
});

describe('watermark in Table storage', () => {
  const azurite = useAzurite();
  let table: TableClient;

  beforeAll(async () => {
    table = TableClient.fromConnectionString(azurite().connectionString, 'watermarks', {
      allowInsecureConnection: true,
    });
    await table.createTable();
  });

  it('is undefined until the first successful pull', async () => {
    expect(await getWatermark(table, 'win.never_pulled')).toBeUndefined();
  });

  it('stores and reads back the time, normalised to UTC', async () => {
    expect(await setWatermark(table, 'win.netsupportmanager_rat', '2026-06-20T14:00:00+02:00')).toBe(
      '2026-06-20T12:00:00.000Z',
    );
    expect(await getWatermark(table, 'win.netsupportmanager_rat')).toBe('2026-06-20T12:00:00.000Z');
  });

  it('never moves backwards', async () => {
    const family = 'win.backwards';
    await setWatermark(table, family, '2026-06-20T12:00:00Z');
    expect(await setWatermark(table, family, '2026-06-19T12:00:00Z')).toBe('2026-06-20T12:00:00.000Z');
    expect(await getWatermark(table, family)).toBe('2026-06-20T12:00:00.000Z');
    await setWatermark(table, family, '2026-06-21T00:00:00Z');
    expect(await getWatermark(table, family)).toBe('2026-06-21T00:00:00.000Z');
  });

  it('ends at the newest time when runs race each other', async () => {
    const family = 'win.racing';
    const times = Array.from({ length: 8 }, (_, i) => new Date(Date.UTC(2026, 5, 1 + ((i * 5) % 8))).toISOString());
    await Promise.all(times.map((t) => setWatermark(table, family, t)));
    expect(await getWatermark(table, family)).toBe(new Date(Date.UTC(2026, 5, 8)).toISOString());
  });

  it('keeps families with unsafe characters apart, under the watermark partition', async () => {
    await setWatermark(table, 'odd/family#1', '2026-01-01T00:00:00Z');
    await setWatermark(table, 'odd%2Ffamily#1', '2026-02-01T00:00:00Z');
    expect(await getWatermark(table, 'odd/family#1')).toBe('2026-01-01T00:00:00.000Z');
    expect(await getWatermark(table, 'odd%2Ffamily#1')).toBe('2026-02-01T00:00:00.000Z');
    const row = await table.getEntity<{ family: string }>(WATERMARK_PARTITION, safeRowKey('odd/family#1'));
    expect(row.family).toBe('odd/family#1');
  });

  it('rejects a time that is not ISO 8601', async () => {
    await expect(setWatermark(table, 'win.x', 'yesterday')).rejects.toThrow(/ISO 8601/);
  });
});
