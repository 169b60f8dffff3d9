import type { TokenCredential } from '@azure/identity';
import {
  appEnv,
  loadSettings,
  requireAuthKey,
  requireSentinelTargets,
  type SentinelSettings,
  type SentinelTarget,
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
import type * as ConnectWorkspacesModule from './sentinel/connectWorkspaces';
import type { WorkspaceStores } from './sentinel/stores';
import type * as ArmClientsModule from './sentinel/armClients';
import type { ArmClients } from './sentinel/armClients';
import type * as CredentialModule from './sentinel/credential';
import type * as LogsQueryModule from './sentinel/logsQuery';
import type { LogsQueryRunner } from './sentinel/logsQuery';
import type { TransportOverrides } from './net/transportOverrides';
import type * as StorageModule from './state/storage';
import type { AppStorage } from './state/storage';
import type * as ThreatFoxClientModule from './threatfox/client';
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
  /** ThreatFox for pulls; `maxRetries` below the client's default for a caller that wants a quick answer (the check). */
  threatfox(logger?: Logger, options?: { maxRetries?: number }): ThreatFoxSource;
  /**
   * ThreatFox for reconciling look-ups: no retries, since a failed look-up changes nothing and is
   * asked again next run, and one at a time is all ThreatFox's fair use wants of us.
   */
  threatfoxLookup(logger?: Logger): IocLookupSource;
  /** Every configured workspace's stores (SENTINEL_WORKSPACES, or the single workspace as a list of one). */
  sentinel(): readonly WorkspaceStores[];
  /**
   * The worker's one Azure credential (DefaultAzureCredential from the settings), built on first use.
   * Building it asks nothing of anyone: a login is tried, and managed identity probed, only when a
   * client first asks for a token.
   */
  credential(): TokenCredential;
  /** ARM clients for one workspace with that credential (the preflight check's; a sync's come with sentinel()). */
  armClients(target: SentinelTarget, options?: { maxRetryDelayInMs?: number }): ArmClients;
  /** The Logs query API (LOG_ANALYTICS_ENDPOINT), each attempt cut at `timeoutMs`. */
  logsQuery(timeoutMs: number): LogsQueryRunner;
  /** The table, queues and container, created if missing on first use. */
  storage(): Promise<AppStorage>;
}

export interface ServiceOverrides {
  /** Replaces DefaultAzureCredential (tests, or a caller that already holds one). */
  credential?: TokenCredential;
  logger?: Logger;
  threatfox?: ThreatFoxSource & Partial<IocLookupSource>;
  /** Replaces the Logs query client (tests). */
  logs?: LogsQueryRunner;
  /** The local fakes' CA, backoffs and pacing (tests, bench); none in a deployment. */
  transport?: TransportOverrides;
}

/*
 * The Azure SDKs and axios, loaded when a client is first built rather than with this module: a
 * CLI dry run of a file never builds one, and loading them all costs about 30 MB of memory and
 * 0.4 s (the 100k dry run's peak and time, docs/testing.md). (A Functions worker loads every
 * function, the preflight check's SDK imports with them: there it changes nothing.)
 */
/* eslint-disable @typescript-eslint/no-require-imports -- node's require cache keeps each once loaded */
const azure = {
  workspaces: () => require('./sentinel/connectWorkspaces') as typeof ConnectWorkspacesModule,
  arm: () => require('./sentinel/armClients') as typeof ArmClientsModule,
  credential: () => require('./sentinel/credential') as typeof CredentialModule,
  logs: () => require('./sentinel/logsQuery') as typeof LogsQueryModule,
  storage: () => require('./state/storage') as typeof StorageModule,
  threatfox: () => require('./threatfox/client') as typeof ThreatFoxClientModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function createServices(env: NodeJS.ProcessEnv = appEnv(), overrides: ServiceOverrides = {}): Services {
  const settings = loadSettings(env);
  const logger = overrides.logger ?? createLogger({ destination: process.stdout, level: env.LOG_LEVEL });
  let storage: Promise<AppStorage> | undefined;
  let stores: readonly WorkspaceStores[] | undefined;
  let credential: TokenCredential | undefined;
  const sharedCredential = () => (credential ??= overrides.credential ?? azure.credential().createCredential(env));
  const openStorage = async () => {
    const { storageClients, ensureAppStorage } = azure.storage();
    const clients = storageClients(env, overrides.credential);
    await ensureAppStorage(clients);
    return clients;
  };
  return {
    settings,
    logger,
    threatfox: (log = logger, options = {}) =>
      overrides.threatfox ??
      new (azure.threatfox().ThreatFoxClient)({
        apiUrl: settings.threatfox.apiUrl,
        authKey: requireAuthKey(settings),
        timeoutMs: settings.threatfox.timeoutMs,
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        logger: log,
      }),
    threatfoxLookup: (log = logger) =>
      overrides.threatfox?.iocById
        ? (overrides.threatfox as IocLookupSource)
        : new (azure.threatfox().ThreatFoxClient)({
            apiUrl: settings.threatfox.apiUrl,
            authKey: requireAuthKey(settings),
            timeoutMs: settings.threatfox.timeoutMs,
            maxRetries: 0,
            logger: log,
          }),
    // One credential and one set of ARM clients per worker: tokens and connections are reused.
    sentinel: () =>
      (stores ??= azure.workspaces().connectWorkspaces(requireSentinelTargets(settings), {
        credential: sharedCredential(),
        transport: overrides.transport,
        logger,
      })),
    credential: sharedCredential,
    armClients: (target, options = {}) =>
      azure
        .arm()
        .createArmClients(target, { credential: sharedCredential(), ...options, transport: overrides.transport }),
    logsQuery: (timeoutMs) =>
      overrides.logs ??
      azure.logs().createLogsQueryRunner({
        endpoint: settings.sentinel.logsEndpoint ?? azure.logs().DEFAULT_LOGS_ENDPOINT,
        credential: sharedCredential(),
        timeoutMs,
        tlsCa: overrides.transport?.tlsCa,
      }),
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
