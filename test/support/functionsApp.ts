import type { Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { resetServices } from '../../functions/shared/context';
import { IOC_POISON_QUEUE, IOC_QUEUE, STATE_TABLE } from '../../lib/names';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { SEED_NOW, startThreatFoxFake, type ThreatFoxFake } from '../fakes/threatfoxServer';
import { staticCredential } from '../sentinel/harness';
import { fakeAppSettings } from './appSettings';
import { useAzurite } from './azurite';

/** A timer tick that is on time. */
export const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

export interface FunctionsApp {
  threatfox: ThreatFoxFake;
  arm: ArmFake;
  queue: QueueClient;
  poison: QueueClient;
  table: TableClient;
}

/**
 * The Functions app's world for one suite: Azurite, a fake ThreatFox serving `records`, a fake ARM,
 * the app's settings pointed at them (plus `env`), and the app's services on the fake's credential
 * (never DefaultAzureCredential). The environment and the services are restored after the suite.
 */
export function useFunctionsApp(options: { records: unknown[]; env: Record<string, string> }): () => FunctionsApp {
  const azurite = useAzurite();
  const savedEnv = { ...process.env };
  let app: FunctionsApp | undefined;
  beforeAll(async () => {
    const threatfox = await startThreatFoxFake({ records: options.records, now: SEED_NOW });
    const arm = await startArmFake();
    const { connectionString } = azurite();
    Object.assign(process.env, {
      AzureWebJobsStorage: connectionString,
      ...fakeAppSettings({ threatfox, arm }),
      ...options.env,
    });
    resetServices({ credential: staticCredential(arm.token), transport: { tlsCa: arm.ca } });
    app = {
      threatfox,
      arm,
      queue: new QueueClient(connectionString, IOC_QUEUE),
      poison: new QueueClient(connectionString, IOC_POISON_QUEUE),
      table: TableClient.fromConnectionString(connectionString, STATE_TABLE, { allowInsecureConnection: true }),
    };
  });
  afterAll(async () => {
    process.env = savedEnv;
    resetServices();
    await Promise.all([app?.threatfox.close(), app?.arm.close()]);
  });
  return () => {
    if (!app) throw new Error('the Functions app is not set up (use the accessor inside a test or hook)');
    return app;
  };
}
