import type { AccessToken, TokenCredential } from '@azure/identity';
import type { SentinelTarget } from '../../lib/config';
import type { TransportOverrides } from '../../lib/net/transportOverrides';
import { createArmClients, type ArmClients } from '../../lib/sentinel/armClients';
import { armIndicatorStore } from '../../lib/sentinel/armIndicatorStore';
import type { IndicatorStore } from '../../lib/sentinel/indicatorStore';
import { armSavedSearchStore, type SavedSearchStore } from '../../lib/sentinel/savedSearchStore';
import type { WorkspaceRef } from '../../lib/workspaceRef';
import type { ArmFake } from '../fakes/armServer';

/** A credential that hands out one fixed token and records the scopes asked for: no identity probing. */
export function staticCredential(token: string): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(s: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(s) ? s : [s]));
      return { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    },
  };
}

export function targetFor(fake: ArmFake, overrides: Partial<SentinelTarget> = {}): SentinelTarget {
  return {
    subscriptionId: '11111111-2222-3333-4444-555555555555',
    resourceGroup: 'rg-soc',
    workspaceName: 'law-sentinel',
    armEndpoint: fake.url,
    apiVersion: '2025-09-01',
    source: 'ThreatFox',
    ttlDays: 30,
    huntingLookback: '14d',
    concurrency: 4,
    maxRetries: 6,
    requestTimeoutMs: 60_000,
    runDeadlineSeconds: 1200,
    ...overrides,
  };
}

/** One workspace's real stores (a WorkspaceStores: pass `[connect(fake)]` where a list of workspaces is asked for). */
export interface Connected {
  workspace: WorkspaceRef;
  clients: ArmClients;
  indicators: IndicatorStore;
  savedSearches: SavedSearchStore;
  credential: ReturnType<typeof staticCredential>;
}

/** The real SDK clients and stores, pointed at the fake, with short backoffs so retries stay quick. */
export function connect(
  fake: ArmFake,
  overrides: Partial<SentinelTarget> = {},
  token = fake.token,
  transport: Pick<TransportOverrides, 'maxRetryAfterMs' | 'writeBucket'> = {},
): Connected {
  const target = targetFor(fake, overrides);
  const credential = staticCredential(token);
  const clients = createArmClients(target, {
    credential,
    transport: { tlsCa: fake.ca, retryDelayInMs: 5, maxRetryDelayInMs: 50, ...transport },
  });
  return {
    workspace: {
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      workspaceName: target.workspaceName,
    },
    clients,
    indicators: armIndicatorStore(clients.securityInsights, target),
    savedSearches: armSavedSearchStore(clients.operationalInsights, target),
    credential,
  };
}
