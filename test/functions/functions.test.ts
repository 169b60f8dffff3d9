import { HttpRequest, InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';
import type { TableClient } from '@azure/data-tables';
import { pullThreatFox } from '../../functions/pullThreatFox';
import { upsertToSentinel } from '../../functions/upsertToSentinel';
import { sync } from '../../functions/sync';
import { INLINE_WRITE_LIMIT } from '../../lib/jobs/onDemand';
import { toQueueText, type IocBatchMessage } from '../../lib/queue/batchMessage';
import { planBatches } from '../../lib/queue/batchSender';
import { getWatermark } from '../../lib/state/watermark';
import { listRuns } from '../support/runHistory';
import type { ArmFake } from '../fakes/armServer';
import { NETSUPPORT, seedRecords, type ThreatFoxFake } from '../fakes/threatfoxServer';
import { drainQueue } from '../support/queueHost';
import { timer, useFunctionsApp } from '../support/functionsApp';

interface Logged {
  level: string;
  line: string;
}

function context(functionName: string, logs: Logged[] = []): InvocationContext {
  return new InvocationContext({
    invocationId: `${functionName}-${Math.random().toString(16).slice(2)}`,
    functionName,
    logHandler: (level, ...args) => logs.push({ level, line: args.map(String).join(' ') }),
  });
}

describe('Functions app over Azurite, fake ThreatFox and fake ARM', () => {
  const app = useFunctionsApp({ records: seedRecords(), env: { ARM_MAX_RETRIES: '1', LOG_LEVEL: 'info' } });
  let threatfox: ThreatFoxFake;
  let arm: ArmFake;
  let queue: QueueClient;
  let poison: QueueClient;
  let table: TableClient;
  beforeAll(() => {
    ({ threatfox, arm, queue, poison, table } = app());
  });

  // Each test starts from a clean slate (no watermark, no run history, empty queues and workspace),
  // so it passes alone and in any order.
  beforeEach(async () => {
    await Promise.all([queue.createIfNotExists(), poison.createIfNotExists(), table.createTable()]);
    await Promise.all([queue.clearMessages(), poison.clearMessages()]);
    for await (const e of table.listEntities()) await table.deleteEntity(e.partitionKey ?? '', e.rowKey ?? '');
    arm.clearFaults();
    arm.indicators.clear();
    arm.savedSearches.clear();
    arm.clearRequests();
    threatfox.requests.length = 0;
  });

  /** What the timer put on the queue (peeked, so the queue function still gets it), decoded as host.json says. */
  async function queued(): Promise<IocBatchMessage[]> {
    const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
    return peekedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as IocBatchMessage,
    );
  }

  it('timer pulls, the queue hands over, the upsert writes indicators and hunting queries', async () => {
    const ctx = context('pullThreatFox');
    await pullThreatFox(timer, ctx);
    const messages = await queued();
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((m) => m.family === NETSUPPORT)).toBe(true);
    // First run has no watermark: a full pull by family.
    expect(threatfox.requests.map((r) => (r.body as { query: string }).query)).toEqual(['malwareinfo']);
    expect(await getWatermark(table, NETSUPPORT)).toEqual(expect.any(String));

    const deliveries = await drainQueue(queue, poison, upsertToSentinel);
    expect(deliveries.every((d) => d.outcome === 'completed')).toBe(true);

    const netsupport = seedRecords().filter((r) => r.malware === NETSUPPORT);
    expect(arm.indicators.size).toBe(netsupport.length);
    const patterns = [...arm.indicators.values()].map((i) => i.properties.pattern);
    expect(patterns).toContain("[ipv4-addr:value = '91.202.233.25']");
    expect(patterns).toContain("[url:value = 'https://beroniw.com/hwkOP5']");
    const searches = [...arm.savedSearches.values()];
    expect(searches.map((s) => s.properties.category)).toEqual(searches.map(() => 'Hunting Queries'));
    const tableOf = (s: (typeof searches)[number]) =>
      (s.properties.tags as { name: string; value: string }[]).find((t) => t.name === 'table')?.value;
    // One saved search per table (reading ThreatIntelIndicators) and the eight NetSupport behaviour hunts.
    expect(searches).toHaveLength(19);
    expect([...new Set(searches.map(tableOf))].sort()).toEqual(
      [
        'ASimDnsActivityLogs',
        'CommonSecurityLog',
        'DeviceFileCertificateInfo',
        'DeviceFileEvents',
        'DeviceNetworkEvents',
        'DeviceProcessEvents',
        'DeviceRegistryEvents',
        'DnsEvents',
        'EmailUrlInfo',
        'UrlClickEvents',
        '_Im_Dns',
        '_Im_NetworkSession',
        '_Im_WebSession',
      ].sort(),
    );
    for (const s of searches)
      expect((s.properties.query as string).replace(/^\/\/.*$/gm, '')).toMatch(new RegExp(`\\b${tableOf(s)}\\b`));
    const runs = await listRuns(table, 10);
    expect(runs.map((r) => r.trigger)).toEqual(expect.arrayContaining(['timer', 'queue']));
    // The pull's row; the lifecycle step after the daily full pull records its own (`<runId>/lifecycle`).
    const timerRun = runs.find((r) => r.trigger === 'timer' && !r.runId.endsWith('/lifecycle'))!;
    expect(timerRun.counts).toMatchObject({ fetched: netsupport.length, enqueued: netsupport.length });
  });

  it('a second timer run with nothing new enqueues nothing and writes nothing', async () => {
    await pullThreatFox(timer, context('pullThreatFox'));
    await drainQueue(queue, poison, upsertToSentinel);
    arm.clearRequests();
    threatfox.requests.length = 0;
    const ctx = context('pullThreatFox');
    await pullThreatFox(timer, ctx);
    const messages = await queued();
    expect(messages).toEqual([]);
    // With a watermark, the timer asks for the recent window only.
    expect((threatfox.requests[0].body as { query: string }).query).toBe('get_iocs');
    expect(await drainQueue(queue, poison, upsertToSentinel)).toEqual([]);
    expect(arm.writes()).toEqual([]);
  });

  it('retries a failing batch and parks it in the poison queue after maxDequeueCount', async () => {
    const batch = planBatches(
      [
        {
          type: 'domain',
          value: 'never-lands.example.com',
          malware: NETSUPPORT,
          threatType: 'botnet_cc',
          confidence: 80,
        },
      ],
      { runId: 'poison-test', family: NETSUPPORT },
    );
    await queue.sendMessage(toQueueText(batch[0], 'base64'));
    arm.failAlways({ match: (r) => r.operation === 'createIndicator', status: 500, code: 'InternalServerError' });
    try {
      const deliveries = await drainQueue(queue, poison, upsertToSentinel);
      expect(deliveries.map((d) => d.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'poisoned']);
      expect(deliveries[4].error).toMatch(/never-lands\.example\.com/);
    } finally {
      arm.clearFaults();
    }
    const parked = await poison.receiveMessages({ numberOfMessages: 5 });
    expect(parked.receivedMessageItems).toHaveLength(1);
    expect(JSON.parse(Buffer.from(parked.receivedMessageItems[0].messageText, 'base64').toString()).runId).toBe(
      'poison-test',
    );
    await poison.clearMessages();
  });

  it('parks a malformed message at once, with a log line naming the bad field', async () => {
    const logs: Logged[] = [];
    const ctx = new InvocationContext({
      invocationId: 'malformed',
      functionName: 'upsertToSentinel',
      triggerMetadata: { id: 'm1', dequeueCount: 1 },
      logHandler: (level, ...args) => logs.push({ level, line: args.map(String).join(' ') }),
    });
    await upsertToSentinel({ version: 1, runId: 'r', family: NETSUPPORT, iocs: [{ type: 'nope', value: 'x' }] }, ctx);
    const parked = await poison.receiveMessages({ numberOfMessages: 5 });
    expect(parked.receivedMessageItems).toHaveLength(1);
    expect(logs.some((l) => l.level === 'error' && /iocs\[0\]\.type/.test(l.line) && /poison/.test(l.line))).toBe(true);
    await poison.clearMessages();
  });

  describe('HTTP sync', () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      new HttpRequest({
        method: 'POST',
        url: 'http://127.0.0.1/api/sync',
        body: { string: body },
        headers: { 'content-type': 'application/json', ...headers },
      });

    it('refangs a pasted list on a dry run and answers with the plan', async () => {
      const iocs = 'hxxps://beroniw[.]com/hwkOP5\n91[.]92[.]34[.]228[:]80\nnot an ioc at all';
      const res = await sync(post(JSON.stringify({ dryRun: true, malware: NETSUPPORT, iocs })), context('sync'));
      expect(res.status).toBe(200);
      const body = res.jsonBody;
      expect(body.summary).toMatchObject({ dryRun: true, iocs: 2, rejected: 1 });
      expect(body.iocs.map((i: any) => i.value)).toEqual(
        expect.arrayContaining(['https://beroniw.com/hwkOP5', '91.92.34.228']),
      );
      expect(body.indicators.map((i: any) => i.pattern)).toContain("[ipv4-addr:value = '91.92.34.228']");
      expect(body.huntingQueries.length).toBeGreaterThan(0);
      expect(arm.requests).toEqual([]);
    });

    it('writes to Sentinel when not a dry run, and nothing the second time', async () => {
      const iocs = 'fresh-c2[.]example[.]net';
      const first = await sync(post(JSON.stringify({ malware: NETSUPPORT, iocs })), context('sync'));
      expect(first.status).toBe(200);
      expect(first.jsonBody.summary.indicators).toMatchObject({ created: 1, failed: 0 });
      arm.clearRequests();
      const again = await sync(post(JSON.stringify({ malware: NETSUPPORT, iocs })), context('sync'));
      expect(again.jsonBody.summary.indicators).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
      expect(arm.writes()).toEqual([]);
      const httpRuns = (await listRuns(table, 50)).filter((r) => r.trigger === 'http');
      expect(httpRuns.map((r) => r.counts.indicatorsCreated)).toEqual([0, 1]); // newest first
    });

    it('queues a write too large to finish inside the request, and the queue function lands it', async () => {
      const pasted = Array.from({ length: INLINE_WRITE_LIMIT + 1 }, (_, i) => `bulk-${i}[.]example[.]org`).join('\n');
      const before = arm.indicators.size;
      const res = await sync(post(JSON.stringify({ malware: NETSUPPORT, iocs: pasted })), context('sync'));
      expect(res.status).toBe(202);
      const body = res.jsonBody;
      expect(body.queued).toEqual({ iocs: INLINE_WRITE_LIMIT + 1, messages: expect.any(Number) });
      expect(arm.indicators.size).toBe(before); // nothing written inline
      const deliveries = await drainQueue(queue, poison, upsertToSentinel);
      expect(deliveries).toHaveLength(body.queued.messages);
      expect(deliveries.every((d) => d.outcome === 'completed')).toBe(true);
      expect(arm.indicators.size).toBe(before + INLINE_WRITE_LIMIT + 1);
      // Through the queue too, a pasted IOC stays marked as submitted by hand.
      const bulk = [...arm.indicators.values()]
        .map((i) => i.properties as any)
        .filter((p) => /bulk-\d+\.example\.org/.test(p.pattern));
      expect(bulk).toHaveLength(INLINE_WRITE_LIMIT + 1);
      expect(bulk.every((p) => p.labels.includes('submitted-by-hand') && /submitted by hand/.test(p.description))).toBe(
        true,
      );
      // The 202's runId leads to the hand-off and to every queue run that wrote its batches.
      const runs = await listRuns(table, 100);
      expect(runs.find((r) => r.runId === body.runId)).toMatchObject({
        trigger: 'http',
        status: 'running',
        counts: { enqueued: INLINE_WRITE_LIMIT + 1 },
      });
      const writes = runs.filter((r) => r.trigger === 'queue' && r.runId.startsWith(`${body.runId}:`));
      expect(writes).toHaveLength(body.queued.messages);
      expect(writes.reduce((n, r) => n + (r.counts.indicatorsCreated ?? 0), 0)).toBe(INLINE_WRITE_LIMIT + 1);
    });

    it('answers 400 with field errors', async () => {
      const res = await sync(post(JSON.stringify({ dryRun: 'yes', days: 9, extra: 1 })), context('sync'));
      expect(res.status).toBe(400);
      const fields = res.jsonBody.fields;
      expect(Object.keys(fields)).toEqual(expect.arrayContaining(['dryRun', 'days']));
      expect((await sync(post('{not json'), context('sync'))).status).toBe(400);
    });

    it('answers 400, not a throw, for body keys named like Object.prototype members', async () => {
      for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const res = await sync(post(`{"dryRun": true, "${key}": "x"}`), context('sync'));
        expect([key, res.status]).toEqual([key, 400]);
        expect(Object.keys(res.jsonBody.fields)).toEqual([key]);
      }
    });

    it('answers 400 naming malware for a pasted list without its family', async () => {
      const res = await sync(post(JSON.stringify({ dryRun: true, iocs: 'evil-c2[.]com' })), context('sync'));
      expect(res.status).toBe(400);
      expect(Object.keys(res.jsonBody.fields)).toEqual(['malware']);
    });

    it('answers 413 over the size limit', async () => {
      const big = JSON.stringify({ dryRun: true, iocs: 'a.example.com\n'.repeat(100_000) });
      const res = await sync(post(big), context('sync'));
      expect(res.status).toBe(413);
    });
  });
});
