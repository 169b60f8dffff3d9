import { InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';
import type { TableClient } from '@azure/data-tables';
import { pullThreatFox } from '../../functions/pullThreatFox';
import { upsertToSentinel } from '../../functions/upsertToSentinel';
import { listRuns } from '../support/runHistory';
import { hasLoneSurrogate } from '../../lib/text/clip';
import type { ArmFake } from '../fakes/armServer';
import { NETSUPPORT, seedRecords, type ThreatFoxWireRecord } from '../fakes/threatfoxServer';
import { drainQueue } from '../support/queueHost';
import { timer, useFunctionsApp } from '../support/functionsApp';

const quiet = (functionName: string) =>
  new InvocationContext({
    invocationId: `${functionName}-${Math.random().toString(16).slice(2)}`,
    functionName,
    logHandler: () => undefined,
  });

const LONG_ID = '1234567890123456789012345678901234567890';

/** 51 NetSupport records, three with the metadata that used to park the whole batch, one with a lone surrogate. */
function poisonBatch(): ThreatFoxWireRecord[] {
  const base = seedRecords().find((r) => r.malware === NETSUPPORT)!;
  return Array.from({ length: 51 }, (_, i) => {
    const r: ThreatFoxWireRecord = {
      ...base,
      id: String(7_000_000 + i),
      ioc: `poison-${i}.metadata-test.com`,
      ioc_type: 'domain',
      tags: ['NetSupport'],
    };
    if (i === 10) r.tags = ['NetSupport', 't'.repeat(600)];
    if (i === 20) r.id = LONG_ID;
    if (i === 30) r.reference = `https://example.com/${'a'.repeat(5000)}`;
    if (i === 40) r.malware_printable = 'NetSupport\uD800 RAT';
    return r;
  });
}

describe('poison metadata through pull → queue → upsert (Azurite, fake ThreatFox, fake ARM)', () => {
  const app = useFunctionsApp({
    records: poisonBatch(),
    env: { ARM_MAX_RETRIES: '1', LOG_LEVEL: 'fatal' /* quiet: drainQueue's contexts print to the console */ },
  });
  let arm: ArmFake;
  let queue: QueueClient;
  let poison: QueueClient;
  let table: TableClient;
  beforeAll(() => {
    ({ arm, queue, poison, table } = app());
  });

  it('every one of the 51 IOCs lands; the odd metadata is clipped or dropped, counted, and visible', async () => {
    await pullThreatFox(timer, quiet('pullThreatFox'));
    const deliveries = await drainQueue(queue, poison, upsertToSentinel);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.outcome === 'completed')).toBe(true);
    expect((await poison.peekMessages()).peekedMessageItems).toEqual([]);

    expect(arm.indicators.size).toBe(51);
    const byValue = new Map(
      [...arm.indicators.values()].map((i) => [String(i.properties.pattern).match(/'(.*)'/)![1], i.properties]),
    );
    const tagged = byValue.get('poison-10.metadata-test.com')!;
    const clippedTag = (tagged.labels as string[]).find((l) => l.startsWith('ttt'))!;
    expect(clippedTag).toHaveLength(500);
    expect(clippedTag.endsWith('…')).toBe(true);
    const noId = byValue.get('poison-20.metadata-test.com')!;
    expect(JSON.stringify(noId)).not.toContain(LONG_ID);
    const noRef = byValue.get('poison-30.metadata-test.com')!;
    expect(JSON.stringify(noRef)).not.toContain('aaaaaaaaaa');
    const surrogate = byValue.get('poison-40.metadata-test.com')!;
    expect(surrogate.displayName).toContain('NetSupport\uFFFD RAT');
    expect(hasLoneSurrogate(String(surrogate.displayName))).toBe(false);

    const timerRun = (await listRuns(table, 10)).find((r) => r.trigger === 'timer' && !r.runId.endsWith('/lifecycle'))!;
    expect(timerRun).toMatchObject({
      status: 'succeeded',
      counts: { fetched: 51, rejected: 0, clipped: 4, enqueued: 51 },
    });
  });

  it('a message from an older producer with one invalid item: that item alone is parked, with its reason', async () => {
    const good = Array.from({ length: 50 }, (_, i) => ({
      type: 'domain',
      value: `item-${i}.per-item-test.com`,
      malware: NETSUPPORT,
      threatType: 'botnet_cc',
    }));
    const bad = { type: 'domain', value: 'bad-item.per-item-test.com', malware: NETSUPPORT, tags: ['x'.repeat(600)] };
    const before = arm.indicators.size;
    await queue.sendMessage(
      Buffer.from(
        JSON.stringify({
          version: 1,
          runId: 'old-producer',
          family: NETSUPPORT,
          iocs: [...good.slice(0, 25), bad, ...good.slice(25)],
        }),
      ).toString('base64'),
    );
    const deliveries = await drainQueue(queue, poison, upsertToSentinel);
    expect(deliveries.map((d) => d.outcome)).toEqual(['completed']);
    expect(arm.indicators.size).toBe(before + 50);

    const { receivedMessageItems: parked } = await poison.receiveMessages({ numberOfMessages: 5 });
    expect(parked).toHaveLength(1);
    const body = JSON.parse(Buffer.from(parked[0].messageText, 'base64').toString('utf8'));
    expect(body).toMatchObject({
      version: 1,
      runId: 'old-producer',
      family: NETSUPPORT,
      iocs: [bad],
      rejected: [{ index: 25, reason: expect.stringMatching(/^iocs\[25\]\.tags\[0\]: /) }],
    });
    const queueRun = (await listRuns(table, 10)).find(
      (r) => r.trigger === 'queue' && r.runId.startsWith('old-producer:'),
    )!;
    expect(queueRun.counts).toMatchObject({ iocs: 50, rejected: 1 });
  });
});
