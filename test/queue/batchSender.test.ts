import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { syncErrorMessage } from '../support/errors';
import type { Ioc } from '../../lib/ioc/types';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  isClaimCheck,
  messageBytes,
  parseBatchMessage,
  checkIocs,
  QUEUE_MESSAGE_LIMIT_BYTES,
  toQueueText,
  type IocBatchMessage,
} from '../../lib/queue/batchMessage';
import { deleteClaimCheck, isClaimCheckGone, parkedItemMessages, resolveBatch } from '../../lib/queue/batchReceiver';
import { planBatches, prepareBatches, writeClaimCheck } from '../../lib/queue/batchSender';
import { BATCH_CONTAINER, IOC_QUEUE } from '../../lib/names';
import { useAzurite } from '../support/azurite';
import { asNormalised } from '../support/iocs';

const FAMILY = 'win.netsupportmanager_rat';
const RUN = 'run-2026-06-20T12:00:00Z';

/** IOCs of varied size, with non-ASCII tags so UTF-8 bytes and characters differ. */
function makeIocs(n: number): Ioc[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'url' as const,
    value: `http://c2-${i}.example.test/${'p'.repeat(i % 300)}/gate.php?id=${i}`,
    threatfoxId: String(1_000_000 + i),
    malware: FAMILY,
    malwarePrintable: 'NetSupportManager RAT',
    threatType: 'botnet_cc',
    confidence: 75,
    firstSeen: '2026-06-20T13:36:27Z',
    tags: ['NetSupport', `тег-${i % 7}`, '🦊'],
    reporter: 'abuse_ch',
  }));
}

const flatten = (messages: IocBatchMessage[]) => messages.flatMap((m) => (isClaimCheck(m) ? [] : m.iocs));

const inputErrorOf = (fn: () => unknown): string => syncErrorMessage('INPUT', fn);

describe('planBatches', () => {
  it('keeps a small run in one message', () => {
    const iocs = makeIocs(3);
    expect(planBatches(iocs, { runId: RUN, family: FAMILY })).toEqual([
      { version: 1, runId: RUN, family: FAMILY, iocs },
    ]);
    expect(planBatches([], { runId: RUN, family: FAMILY })).toEqual([]);
  });

  it('splits under the byte budget, every IOC exactly once and in order', () => {
    const iocs = makeIocs(300);
    const messages = planBatches(iocs, { runId: RUN, family: FAMILY });
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThanOrEqual(4);
    for (const m of messages) {
      expect(messageBytes(m)).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_BYTES);
      // What the binding actually puts on the queue, base64 included, fits the service limit.
      expect(toQueueText(m).length).toBeLessThanOrEqual(QUEUE_MESSAGE_LIMIT_BYTES);
      expect(m.iocs.length).toBeGreaterThan(0);
    }
    expect(flatten(messages)).toEqual(iocs);
  });

  it('packs tightly: each message would overflow with the next IOC', () => {
    const iocs = makeIocs(300);
    const messages = planBatches(iocs, { runId: RUN, family: FAMILY, maxMessageBytes: 8000, maxInlineMessages: 1000 });
    messages.slice(0, -1).forEach((m, i) => {
      const withNext = { ...m, iocs: [...m.iocs, messages[i + 1].iocs[0]] };
      expect(messageBytes(m)).toBeLessThanOrEqual(8000);
      expect(messageBytes(withNext)).toBeGreaterThan(8000);
    });
    expect(flatten(messages)).toEqual(iocs);
  });

  it('switches a big run to claim-check chunks of iocsPerBlob', () => {
    const iocs = makeIocs(2500);
    const messages = planBatches(iocs, { runId: RUN, family: FAMILY });
    expect(messages.map((m) => m.iocs.length)).toEqual([1000, 1000, 500]);
    expect(messages.every((m) => messageBytes(m) > DEFAULT_MAX_MESSAGE_BYTES)).toBe(true);
    expect(flatten(messages)).toEqual(iocs);
  });

  it('refuses ids that would not survive a blob name or a row key', () => {
    expect(() => planBatches(makeIocs(1), { runId: '../etc', family: FAMILY })).toThrow();
    expect(() => planBatches(makeIocs(1), { runId: RUN, family: 'a\nb' })).toThrow();
  });
});

describe('parseBatchMessage', () => {
  const good = { version: 1, runId: RUN, family: FAMILY, iocs: makeIocs(2) };

  it('accepts an object or its JSON text', () => {
    expect(parseBatchMessage(good)).toEqual({ ...good, rejected: [] });
    expect(parseBatchMessage(JSON.stringify(good))).toEqual({ ...good, rejected: [] });
  });

  it("carries a URL's hunted host, and refuses one that is not the URL's own", () => {
    const [url] = asNormalised(makeIocs(1));
    expect(url?.huntedHost).toBe('c2-0.example.test');
    const other = { ...url, huntedHost: 'bystander.example' };
    const parsed = parseBatchMessage(JSON.stringify({ ...good, iocs: [url, other] }));
    expect('iocs' in parsed && parsed.iocs).toEqual([url]);
    expect(parsed.rejected).toEqual([
      { index: 1, item: other, reason: "iocs[1].huntedHost: must be the host of the IOC's URL (set on URL IOCs only)" },
    ]);
  });

  it('refuses a bad item alone, with its reason: the rest of the batch goes on', () => {
    const bad = { ...good.iocs[1], type: 'ftp' };
    const parsed = parseBatchMessage({ ...good, iocs: [good.iocs[0], bad, { ...good.iocs[0], confidence: 101 }] });
    expect('iocs' in parsed && parsed.iocs).toEqual([good.iocs[0]]);
    expect(parsed.rejected).toEqual([
      { index: 1, item: bad, reason: expect.stringMatching(/^iocs\[1\]\.type: /) },
      { index: 2, item: expect.any(Object), reason: expect.stringMatching(/^iocs\[2\]\.confidence: /) },
    ]);
    const parked = parkedItemMessages(parsed, parsed.rejected).map((t) => JSON.parse(t));
    expect(parked).toEqual([
      {
        version: 1,
        runId: RUN,
        family: FAMILY,
        iocs: [bad, expect.any(Object)],
        rejected: [
          { index: 1, reason: expect.any(String) },
          { index: 2, reason: expect.any(String) },
        ],
      },
    ]);
  });

  it('parks a huge refused item in part, within the message budget', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ type: 'domain', value: 'x'.repeat(20_000 + i) }));
    const { rejected } = checkIocs(items);
    expect(rejected).toHaveLength(40);
    const parked = parkedItemMessages({ runId: RUN, family: FAMILY }, rejected);
    expect(parked.length).toBeGreaterThan(1);
    for (const t of parked) expect(Buffer.byteLength(t)).toBeLessThanOrEqual(44 * 1024);
    expect(parked.flatMap((t) => JSON.parse(t).rejected.map((r: { index: number }) => r.index))).toEqual(
      items.map((_, i) => i),
    );
  });

  it('names the bad envelope field', () => {
    expect(inputErrorOf(() => parseBatchMessage({ ...good, runId: 'a b' }))).toMatch(/runId: expected 1-128 letters/);
    expect(inputErrorOf(() => parseBatchMessage({ ...good, version: 2 }))).toMatch(/version: /);
    expect(inputErrorOf(() => parseBatchMessage({ ...good, iocs: 'nope' }))).toMatch(/iocs: /);
    const claim = {
      version: 1,
      runId: RUN,
      family: FAMILY,
      blob: { container: BATCH_CONTAINER, name: '../secret', count: 1 },
    };
    expect(inputErrorOf(() => parseBatchMessage(claim))).toMatch(/blob\.name: /);
  });

  it('says what is wrong with the shape itself', () => {
    expect(inputErrorOf(() => parseBatchMessage('{nope'))).toBe('Batch message is not JSON');
    expect(inputErrorOf(() => parseBatchMessage([1]))).toBe('Batch message must be a JSON object');
    expect(inputErrorOf(() => parseBatchMessage({ version: 1, runId: RUN, family: FAMILY }))).toMatch(
      /exactly one of "iocs".*"blob"/,
    );
    const both = { ...good, blob: { container: BATCH_CONTAINER, name: 'x.json', count: 2 } };
    expect(inputErrorOf(() => parseBatchMessage(both))).toMatch(/exactly one of/);
  });
});

describe('through real Azurite blobs and queues', () => {
  const azurite = useAzurite();
  let container: ContainerClient;
  let queue: QueueClient;

  beforeAll(async () => {
    container = new ContainerClient(azurite().connectionString, BATCH_CONTAINER);
    queue = new QueueClient(azurite().connectionString, IOC_QUEUE);
    await queue.create();
  });

  it('round-trips a claim-check through a blob', async () => {
    const [message] = planBatches(makeIocs(1200), {
      runId: RUN,
      family: FAMILY,
      maxInlineMessages: 1,
      iocsPerBlob: 1200,
    });
    const claim = await writeClaimCheck(container, message);
    expect(claim).toEqual({
      version: 1,
      runId: RUN,
      family: FAMILY,
      blob: {
        container: BATCH_CONTAINER,
        name: expect.stringMatching(/^run-2026-06-20T12_00_00Z\/win\.netsupportmanager_rat\/[0-9a-f]{16}\.json$/),
        count: 1200,
      },
    });
    expect(messageBytes(claim)).toBeLessThan(500);
    const props = await container.getBlockBlobClient(claim.blob.name).getProperties();
    expect(props.contentType).toBe('application/json; charset=utf-8');
    expect(await resolveBatch(parseBatchMessage(JSON.parse(JSON.stringify(claim))), container)).toEqual({
      iocs: message.iocs,
      rejected: [],
    });

    // Same run, same IOCs: the same blob, not a second copy.
    expect((await writeClaimCheck(container, message)).blob.name).toBe(claim.blob.name);

    await deleteClaimCheck(claim, container);
    const gone = await resolveBatch(claim, container).catch((e: unknown) => e);
    expect(isClaimCheckGone(gone)).toBe(true);
    await deleteClaimCheck(claim, container); // already gone: fine
  });

  it('names blobs safely whatever the family is called', async () => {
    for (const family of ['.', '../up', 'Pasted list #1 (ünïcode)']) {
      const [message] = planBatches(makeIocs(2), { runId: RUN, family });
      const claim = await writeClaimCheck(container, message);
      expect(claim.blob.name).toMatch(/^run-2026-06-20T12_00_00Z\/[A-Za-z0-9_-][A-Za-z0-9._-]*\/[0-9a-f]{16}\.json$/);
      expect(claim.blob.name).not.toContain('..');
      expect((await resolveBatch(parseBatchMessage(claim), container)).iocs).toEqual(message.iocs);
    }
  });

  it('sends an oversized single IOC through a blob', async () => {
    const huge: Ioc = { ...makeIocs(1)[0], tags: Array.from({ length: 150 }, (_, i) => `${'t'.repeat(400)}${i}`) };
    const iocs = [...makeIocs(5), huge, ...makeIocs(5)];
    const messages = await prepareBatches(container, iocs, { runId: RUN, family: FAMILY });
    expect(messages.map((m) => (isClaimCheck(m) ? 'blob' : 'inline'))).toEqual(['inline', 'blob', 'inline']);
    const resolved = (await Promise.all(messages.map((m) => resolveBatch(m, container)))).flatMap((r) => r.iocs);
    expect(resolved).toEqual(iocs);
  });

  it('refuses a blob in another container, or one that does not match its message', async () => {
    const [message] = planBatches(makeIocs(3), { runId: RUN, family: FAMILY });
    const claim = await writeClaimCheck(container, message);
    const elsewhere = { ...claim, blob: { ...claim.blob, container: 'other-container' } };
    await expect(resolveBatch(elsewhere, container)).rejects.toThrow(
      /container "other-container", expected "threatfox-batches"/,
    );
    await expect(resolveBatch({ ...claim, blob: { ...claim.blob, count: 4 } }, container)).rejects.toThrow(
      /count 3\/4/,
    );
    await expect(resolveBatch({ ...claim, family: 'win.other' }, container)).rejects.toThrow(
      /family win\.netsupportmanager_rat\/win\.other/,
    );

    await container.getBlockBlobClient('tampered.json').upload('{"version":1}', 13);
    const tampered = { ...claim, blob: { ...claim.blob, name: 'tampered.json' } };
    await expect(resolveBatch(tampered, container)).rejects.toThrow(/"tampered.json" is invalid: runId: /);
  });

  it('needs that budget: base64 of 60 KiB of JSON is refused by the queue', async () => {
    const [tooBig] = planBatches(makeIocs(400), { runId: RUN, family: FAMILY, maxMessageBytes: 60 * 1024 });
    expect(messageBytes(tooBig)).toBeLessThanOrEqual(60 * 1024);
    expect(toQueueText(tooBig).length).toBeGreaterThan(QUEUE_MESSAGE_LIMIT_BYTES);
    await expect(queue.sendMessage(toQueueText(tooBig))).rejects.toMatchObject({ statusCode: 413 });
    // The same JSON unencoded fits, which is why `messageEncoding: none` would be safe too.
    await expect(queue.sendMessage(toQueueText(tooBig, 'none'))).resolves.toBeDefined();
    await queue.clearMessages();
  });

  it('delivers every planned message through a real queue, base64-encoded as the Functions binding does', async () => {
    const iocs = makeIocs(2500);
    const messages = await prepareBatches(container, iocs, { runId: RUN, family: FAMILY, maxInlineMessages: 100 });
    expect(messages.length).toBeGreaterThan(4);
    for (const m of messages) await queue.sendMessage(toQueueText(m));

    const received: string[] = [];
    for (;;) {
      const batch = await queue.receiveMessages({ numberOfMessages: 32 });
      if (batch.receivedMessageItems.length === 0) break;
      for (const item of batch.receivedMessageItems) {
        received.push(item.messageText);
        await queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
    expect(received).toHaveLength(messages.length);
    const delivered: Ioc[] = [];
    for (const text of received) {
      // The queue trigger decodes base64 and hands over JSON; do the same.
      const message = parseBatchMessage(Buffer.from(text, 'base64').toString('utf8'));
      delivered.push(...(await resolveBatch(message, container)).iocs);
    }
    const key = (i: Ioc) => i.threatfoxId!;
    expect(delivered.map(key).sort()).toEqual(iocs.map(key).sort());
    expect(delivered.find((i) => i.threatfoxId === '1000007')).toEqual(iocs[7]);
  });
});
