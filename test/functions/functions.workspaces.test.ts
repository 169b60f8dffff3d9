import { HttpRequest, InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { sync } from '../../functions/sync';
import { upsertToSentinel } from '../../functions/upsertToSentinel';
import { resetServices } from '../../functions/shared/context';
import { toQueueText } from '../../lib/queue/batchMessage';
import { planBatches } from '../../lib/queue/batchSender';
import { IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE } from '../../lib/names';
import { listRuns } from '../support/runHistory';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { startTiUploadFake, type UploadFake } from '../fakes/tiUploadServer';
import { NETSUPPORT } from '../fakes/threatfoxServer';
import { scopedCredential } from '../sentinel/uploadHarness';
import { useAzurite } from '../support/azurite';
import { drainQueue } from '../support/queueHost';

const SUB = '11111111-2222-3333-4444-555555555555';
const ws = (rg: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${name}`;

const context = (functionName: string) =>
  new InvocationContext({
    invocationId: `${functionName}-${Math.random().toString(16).slice(2)}`,
    functionName,
    logHandler: () => undefined,
  });

/** The Functions app with SENTINEL_WORKSPACES and the upload write path: HTTP trigger and queue upsert. */
describe('Functions app writing to several workspaces through the upload API', () => {
  const azurite = useAzurite();
  let arm: ArmFake;
  let upload: UploadFake;
  let table: TableClient;
  let queue: QueueClient;
  let poison: QueueClient;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    arm = await startArmFake();
    upload = await startTiUploadFake(arm);
    const { connectionString } = azurite();
    for (const k of ['AZURE_SUBSCRIPTION_ID', 'SENTINEL_RESOURCE_GROUP', 'SENTINEL_WORKSPACE_NAME'])
      delete process.env[k];
    Object.assign(process.env, {
      AzureWebJobsStorage: connectionString,
      THREATFOX_AUTH_KEY: 'unused',
      THREATFOX_MALWARE: NETSUPPORT,
      SENTINEL_WORKSPACES: `${ws('rg-eu', 'law-eu')},${ws('rg-us', 'law-us')}`,
      SENTINEL_WRITE_PATH: 'upload',
      SENTINEL_TI_UPLOAD_ENDPOINT: upload.url,
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      ARM_MAX_RETRIES: '1',
      LOG_LEVEL: 'silent',
    });
    resetServices({ credential: scopedCredential(arm), transport: { tlsCa: arm.ca } });
    table = TableClient.fromConnectionString(connectionString, STATE_TABLE, { allowInsecureConnection: true });
    queue = new QueueClient(connectionString, IOC_QUEUE);
    poison = new QueueClient(connectionString, IOC_POISON_QUEUE);
    await Promise.all([queue.createIfNotExists(), poison.createIfNotExists(), table.createTable()]);
  });
  afterAll(async () => {
    process.env = savedEnv;
    resetServices();
    await Promise.all([upload?.close(), arm?.close()]);
  });

  it('the HTTP trigger syncs both workspaces and records each one in run history', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/sync',
      body: {
        string: JSON.stringify({
          malware: NETSUPPORT,
          iocs: 'hxxp://google2oauth[.]com/google.txt\n91[.]92[.]34[.]228[:]80\nnode54group[.]com',
        }),
      },
    });
    const ctx = context('sync');
    const answer = await sync(request, ctx);
    expect(answer.status).toBe(200);
    const body = answer.jsonBody as {
      summary: { workspaces: { workspace: string; status: string; indicators: { created: number } }[] };
    };
    expect(body.summary.workspaces).toEqual([
      expect.objectContaining({
        workspace: 'rg-eu/law-eu',
        status: 'succeeded',
        indicators: expect.objectContaining({ created: 3 }),
      }),
      expect.objectContaining({
        workspace: 'rg-us/law-us',
        status: 'succeeded',
        indicators: expect.objectContaining({ created: 3 }),
      }),
    ]);
    // Through the upload API, one request per workspace, each at its own customerId.
    expect(new Set(upload.requests.map((r) => r.workspaceId))).toEqual(
      new Set([arm.workspace('rg-eu/law-eu').customerId, arm.workspace('rg-us/law-us').customerId]),
    );
    expect(arm.requests.filter((r) => r.operation === 'createIndicator')).toHaveLength(0);
    expect(arm.workspace('rg-eu/law-eu').indicators()).toHaveLength(3);
    expect(arm.workspace('rg-us/law-us').indicators()).toHaveLength(3);
    const runs = await listRuns(table, 10);
    const http = runs.find((r) => r.runId === ctx.invocationId);
    expect(http).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ indicatorsCreated: 6 }) });
    expect(
      runs
        .filter((r) => r.runId.startsWith(`${ctx.invocationId}/`))
        .map((r) => [r.workspace, r.counts.indicatorsCreated])
        .sort(),
    ).toEqual([
      ['rg-eu/law-eu', 3],
      ['rg-us/law-us', 3],
    ]);
  });

  it('the queue upsert lands a batch in the allowed workspace and retries the message for the denied one', async () => {
    arm.failAlways({
      status: 403,
      code: 'AuthorizationFailed',
      message: 'denied',
      match: (r) => r.path.includes('/law-us'),
    });
    try {
      const [batch] = planBatches(
        [{ type: 'domain', value: 'queued.example.com', malware: NETSUPPORT, threatType: 'botnet_cc', confidence: 80 }],
        {
          runId: 'ws-queue',
          family: NETSUPPORT,
        },
      );
      await queue.sendMessage(toQueueText(batch, 'base64'));
      const deliveries = await drainQueue(queue, poison, upsertToSentinel, 2);
      expect(deliveries.map((d) => d.outcome)).toEqual(['failed', 'poisoned']);
      expect(deliveries[0].error).toMatch(/rg-us\/law-us|law-us/);
    } finally {
      arm.clearFaults();
    }
    expect(
      arm
        .workspace('rg-eu/law-eu')
        .indicators()
        .map((i) => i.properties.pattern),
    ).toContain("[domain-name:value = 'queued.example.com']");
    expect(
      arm
        .workspace('rg-us/law-us')
        .indicators()
        .map((i) => i.properties.pattern),
    ).not.toContain("[domain-name:value = 'queued.example.com']");
    const rows = (await listRuns(table, 20)).filter((r) => r.runId.startsWith('ws-queue:'));
    expect(rows.filter((r) => r.workspace === 'rg-us/law-us').every((r) => r.status === 'failed')).toBe(true);
    expect(rows.filter((r) => r.workspace === 'rg-eu/law-eu').length).toBeGreaterThan(0);
    await poison.clearMessages();
  });
});
