import type { TokenCredential } from '@azure/core-auth';
import { appEnv, loadSettings, requireAuthKey, requireSentinelTargets, type Settings } from './config';
import { createLogger, type Logger } from './logger';
import { connectWorkspaces, type SentinelDestination } from './sentinel/workspaceSync';
import { ensureAppStorage, storageClients, type AppStorage } from './state/storage';
import { ThreatFoxClient, type ThreatFoxSource } from './threatfox/client';

/**
 * Everything a trigger needs, built once per worker from the app settings. Clients are created on
 * first use so a function that never talks to Azure never needs Azure settings.
 */
export interface Services {
  settings: Settings;
  logger: Logger;
  threatfox(logger?: Logger): ThreatFoxSource;
  /** Every configured workspace's stores (SENTINEL_WORKSPACES, or the single workspace as a list of one). */
  sentinel(): SentinelDestination;
  /** The table, queues and container, created if missing on first use. */
  storage(): Promise<AppStorage>;
}

export interface ServiceOverrides {
  /** Replaces DefaultAzureCredential (tests, or a caller that already holds one). */
  credential?: TokenCredential;
  /** Extra CA to trust for ARM (a test's self-signed fake). */
  tlsCa?: string;
  logger?: Logger;
  threatfox?: ThreatFoxSource;
}

export function createServices(env: NodeJS.ProcessEnv = appEnv(), overrides: ServiceOverrides = {}): Services {
  const settings = loadSettings(env);
  const logger = overrides.logger ?? createLogger({ destination: process.stdout, level: env.LOG_LEVEL });
  let storage: Promise<AppStorage> | undefined;
  let stores: SentinelDestination | undefined;
  const openStorage = async () => {
    const clients = storageClients(env, overrides.credential);
    await ensureAppStorage(clients);
    return clients;
  };
  return {
    settings,
    logger,
    threatfox: (log = logger) =>
      overrides.threatfox ??
      new ThreatFoxClient({
        apiUrl: settings.threatfox.apiUrl,
        authKey: requireAuthKey(settings),
        timeoutMs: settings.threatfox.timeoutMs,
        logger: log,
      }),
    // One credential and one set of ARM clients per worker: tokens and connections are reused.
    sentinel: () =>
      (stores ??= connectWorkspaces(requireSentinelTargets(settings), {
        credential: overrides.credential,
        tlsCa: overrides.tlsCa,
        logger,
      })),
    storage: () => {
      storage ??= openStorage().catch((e) => {
        storage = undefined; // let the next invocation try again
        throw e;
      });
      return storage;
    },
  };
}
