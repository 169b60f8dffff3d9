import type { TokenCredential } from '@azure/identity';
import {
  appEnv,
  loadSettings,
  requireAuthKey,
  requireSentinelTargets,
  type SentinelSettings,
  type Settings,
} from './config';
import { landedKey } from './state/seenIocs';
import { workspaceResourceId } from './workspaceRef';
import { enqueueIocs } from './jobs/handOff';
import type { MessageEncoding } from './queue/batchMessage';
import type { OnDemandDeps } from './jobs/onDemand';
import type { PullDeps } from './jobs/pull';
import type { UpsertDeps } from './jobs/upsert';
import { createLogger, type Logger } from './logger';
import { connectWorkspaces, type WorkspaceStores } from './sentinel/workspaceSync';
import { ensureAppStorage, storageClients, type AppStorage } from './state/storage';
import { ThreatFoxClient } from './threatfox/client';
import type { ThreatFoxSource } from './threatfox/source';
import type { IocLookupSource } from './threatfox/lookup';
import type { LifecycleDeps } from './jobs/lifecycle';

/**
 * Everything a trigger needs, built once per worker from the app settings. Clients are created on
 * first use so a function that never talks to Azure never needs Azure settings.
 */
export interface Services {
  settings: Settings;
  logger: Logger;
  threatfox(logger?: Logger): ThreatFoxSource;
  /**
   * ThreatFox for reconciling look-ups: no retries, since a failed look-up changes nothing and is
   * asked again next run, and one at a time is all ThreatFox's fair use wants of us.
   */
  threatfoxLookup(logger?: Logger): IocLookupSource;
  /** Every configured workspace's stores (SENTINEL_WORKSPACES, or the single workspace as a list of one). */
  sentinel(): readonly WorkspaceStores[];
  /** The table, queues and container, created if missing on first use. */
  storage(): Promise<AppStorage>;
}

export interface ServiceOverrides {
  /** Replaces DefaultAzureCredential (tests, or a caller that already holds one). */
  credential?: TokenCredential;
  /** Extra CA to trust for ARM (a test's self-signed fake). */
  tlsCa?: string;
  logger?: Logger;
  threatfox?: ThreatFoxSource & Partial<IocLookupSource>;
}

export function createServices(env: NodeJS.ProcessEnv = appEnv(), overrides: ServiceOverrides = {}): Services {
  const settings = loadSettings(env);
  const logger = overrides.logger ?? createLogger({ destination: process.stdout, level: env.LOG_LEVEL });
  let storage: Promise<AppStorage> | undefined;
  let stores: readonly WorkspaceStores[] | undefined;
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
    threatfoxLookup: (log = logger) =>
      overrides.threatfox?.iocById
        ? (overrides.threatfox as IocLookupSource)
        : new ThreatFoxClient({
            apiUrl: settings.threatfox.apiUrl,
            authKey: requireAuthKey(settings),
            timeoutMs: settings.threatfox.timeoutMs,
            maxRetries: 0,
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

/** What one invocation brings to its job: its logger, its id, and how the host encodes queue messages (host.json). */
export interface Invocation {
  logger: Logger;
  runId: string;
  messageEncoding: MessageEncoding;
}

/** The timer job's dependencies: ThreatFox, and the storage it pulls into and sends from. */
export async function pullDeps(services: Services, invocation: Invocation): Promise<PullDeps> {
  return {
    settings: services.settings,
    threatfox: services.threatfox(invocation.logger),
    storage: await services.storage(),
    landedKeys: configuredLandedKeys(services.settings.sentinel),
    ...invocation,
  };
}

/** Every configured workspace's seenIocs key (none when no workspace is configured: then the filter is by fingerprint alone). */
function configuredLandedKeys(sentinel: SentinelSettings): string[] {
  const { subscriptionId, resourceGroup, workspaceName } = sentinel;
  const single =
    subscriptionId && resourceGroup && workspaceName ? [{ subscriptionId, resourceGroup, workspaceName }] : [];
  return (sentinel.workspaces ?? single).map((w) => landedKey(workspaceResourceId(w), sentinel.source));
}

/** The timer's lifecycle step after its daily full pull: ThreatFox look-ups, every workspace, run history. */
export async function lifecycleDeps(services: Services, invocation: Invocation): Promise<LifecycleDeps> {
  return {
    settings: services.settings,
    lookup: () => services.threatfoxLookup(invocation.logger),
    sentinel: () => services.sentinel(),
    storage: await services.storage(),
    logger: invocation.logger,
    runId: invocation.runId,
  };
}

/** The queue job's dependencies; the delivery's dequeue count and the host's limit say when a failure parks it. */
export async function upsertDeps(
  services: Services,
  invocation: Invocation & { dequeueCount: number; maxDequeueCount: number },
): Promise<UpsertDeps> {
  return { settings: services.settings, stores: services.sentinel(), storage: await services.storage(), ...invocation };
}

/** The HTTP job's dependencies, opened on first use: a dry run of a pasted list needs no Azure client at all. */
export function onDemandDeps(services: Services, invocation: Invocation): OnDemandDeps {
  return {
    settings: services.settings,
    threatfox: () => services.threatfox(invocation.logger),
    lookup: () => services.threatfoxLookup(invocation.logger),
    sentinel: () => services.sentinel(),
    history: async () => (await services.storage()).stateTable,
    handOff: async (iocs, runId) =>
      enqueueIocs(await services.storage(), iocs, { runId, encoding: invocation.messageEncoding }),
    runId: invocation.runId,
    logger: invocation.logger,
  };
}
