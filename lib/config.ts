import { z } from 'zod';
import { configError } from './errors';
import type { Allowlist } from './ioc/benign';
import type { LogLevel } from './logger';
import {
  allowlist,
  apiVersion,
  checkedText,
  guid,
  intIn,
  logLevel,
  malwareList,
  optionalText,
  url,
  workspaceList,
  writePath,
  type WritePath,
} from './settingFields';
import type { WorkspaceRef } from './workspaceRef';

/** How far back the hunting queries look when HUNTING_LOOKBACK is not set. */
export const DEFAULT_LOOKBACK = '14d';

/**
 * The one place that reads settings. Functions app settings arrive as environment variables;
 * the CLI overlays its flags on the same object. Every name here is in the README table,
 * local.settings.sample.json and infra/.
 */

export const settingsSchema = z.object({
  THREATFOX_API_URL: url('THREATFOX_API_URL', 'https://threatfox-api.abuse.ch/api/v1/'),
  THREATFOX_AUTH_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      // App Service hands over the reference text itself when it cannot resolve it.
      if (v?.startsWith('@Microsoft.KeyVault(')) {
        ctx.addIssue({
          code: 'custom',
          message:
            'THREATFOX_AUTH_KEY is an unresolved Key Vault reference: the secret is missing or the app identity lacks Key Vault Secrets User',
        });
        return z.NEVER;
      }
      return v ? v : undefined;
    }),
  THREATFOX_MALWARE: malwareList,
  THREATFOX_DAYS: intIn('THREATFOX_DAYS', 1, 7, 1),
  THREATFOX_LIMIT: intIn('THREATFOX_LIMIT', 1, 1000, 1000),
  THREATFOX_TIMEOUT_MS: intIn('THREATFOX_TIMEOUT_MS', 1000, 300000, 30000),
  // ThreatFox look-ups per reconciling run, one at a time (docs/settings.md says why 500).
  THREATFOX_RECONCILE_BUDGET: intIn('THREATFOX_RECONCILE_BUDGET', 0, 10000, 500),
  AZURE_SUBSCRIPTION_ID: guid,
  SENTINEL_RESOURCE_GROUP: optionalText,
  SENTINEL_WORKSPACE_NAME: optionalText,
  AZURE_RESOURCE_MANAGER_ENDPOINT: url('AZURE_RESOURCE_MANAGER_ENDPOINT', 'https://management.azure.com'),
  SENTINEL_API_VERSION: apiVersion,
  INDICATOR_SOURCE: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : 'ThreatFox')),
  INDICATOR_TTL_DAYS: intIn('INDICATOR_TTL_DAYS', 1, 365, 30),
  // Placed in KQL as a timespan literal: only the plain forms, nothing that could end the statement.
  HUNTING_LOOKBACK: checkedText(
    'HUNTING_LOOKBACK must be a KQL timespan such as 14d, 12h or 30m',
    DEFAULT_LOOKBACK,
    (v) => (/^[1-9]\d{0,3}[dhm]$/.test(v) ? v : undefined),
  ),
  ARM_CONCURRENCY: intIn('ARM_CONCURRENCY', 1, 64, 8),
  ARM_MAX_RETRIES: intIn('ARM_MAX_RETRIES', 0, 30, 10),
  SENTINEL_WORKSPACES: workspaceList,
  SENTINEL_WORKSPACES_PER_SUBSCRIPTION: intIn('SENTINEL_WORKSPACES_PER_SUBSCRIPTION', 1, 16, 1),
  SENTINEL_WRITE_PATH: writePath,
  SENTINEL_TI_UPLOAD_ENDPOINT: url('SENTINEL_TI_UPLOAD_ENDPOINT', 'https://api.ti.sentinel.azure.com').transform((v) =>
    v.replace(/\/+$/, ''),
  ),
  ARM_TIMEOUT_MS: intIn('ARM_TIMEOUT_MS', 1000, 300000, 60000),
  // The Azure Monitor Logs query API the check runs the hunts through (sovereign clouds have their own).
  LOG_ANALYTICS_ENDPOINT: url('LOG_ANALYTICS_ENDPOINT', 'https://api.loganalytics.io').transform((v) =>
    v.replace(/\/+$/, ''),
  ),
  RUN_DEADLINE_SECONDS: intIn('RUN_DEADLINE_SECONDS', 1, 86400, 1200),
  BENIGN_ALLOWLIST: allowlist,
  LOG_LEVEL: logLevel,
});

type Raw = z.output<typeof settingsSchema>;

export interface SentinelSettings {
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  armEndpoint: string;
  apiVersion: string;
  source: string;
  ttlDays: number;
  /** How far back the hunting queries look (HUNTING_LOOKBACK, a KQL timespan). */
  huntingLookback: string;
  concurrency: number;
  maxRetries: number;
  /** SENTINEL_WORKSPACES, when set (then the three single-workspace settings are not). */
  workspaces?: WorkspaceRef[];
  /** Workspaces of one subscription written at once (ARM throttles per subscription); default 1. */
  workspacesPerSubscription?: number;
  /** How indicators are written: ARM one by one (default), or the STIX objects upload API 100 at a time. */
  writePath?: WritePath;
  /** Default https://api.ti.sentinel.azure.com */
  uploadEndpoint?: string;
  /** The Logs query API (LOG_ANALYTICS_ENDPOINT, default https://api.loganalytics.io): the check runs the hunts there. */
  logsEndpoint?: string;
  /**
   * THREATFOX_MALWARE was set explicitly: only then does a full run remove the hunting queries of
   * families not in it. The built-in default list says nothing about which families were removed
   * (a laptop without the setting would delete every other family's). Absent: nothing is removed.
   */
  familyCleanup?: boolean;
  /** Per ARM request attempt (ARM_TIMEOUT_MS); a timed-out attempt is retried like a network fault. */
  requestTimeoutMs: number;
  /**
   * A write run's deadline (RUN_DEADLINE_SECONDS), kept below host.json's functionTimeout: what has
   * not finished by then is counted as failed.
   */
  runDeadlineSeconds: number;
}

export interface Settings {
  threatfox: {
    apiUrl: string;
    authKey?: string;
    malware: string[];
    days: number;
    limit: number;
    timeoutMs: number;
    /** ThreatFox `ioc` look-ups a reconciling run may make (THREATFOX_RECONCILE_BUDGET). */
    reconcileBudget: number;
  };
  sentinel: SentinelSettings;
  /** Values the tenant declares benign (BENIGN_ALLOWLIST), on top of the built-in well-known ones. */
  allowlist: Allowlist;
  /** pino level (LOG_LEVEL); loggers are built before settings load, so they resolve it themselves. */
  logLevel: LogLevel;
}

/** The Azure target, once it is known to be complete. */
export interface SentinelTarget extends SentinelSettings {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

/**
 * The process environment. The one place the app reads it: everything else is handed the values
 * (or, for the preflight check and SDK credentials that read their own variables, this object).
 */
export function appEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/** Reads and validates settings; throws a SyncError('CONFIG') naming every bad setting. */
export function loadSettings(env: NodeJS.ProcessEnv = appEnv()): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${i.message}`);
    throw configError(`Invalid settings:\n${lines.join('\n')}`);
  }
  const s: Raw = parsed.data;
  const single = (['AZURE_SUBSCRIPTION_ID', 'SENTINEL_RESOURCE_GROUP', 'SENTINEL_WORKSPACE_NAME'] as const).filter(
    (k) => s[k] !== undefined,
  );
  if (s.SENTINEL_WORKSPACES && single.length > 0) {
    throw configError(
      `Invalid settings:\n- SENTINEL_WORKSPACES and ${single.join(', ')} are both set: use the list alone (a list of one for a single workspace)`,
    );
  }
  return {
    threatfox: {
      apiUrl: s.THREATFOX_API_URL,
      authKey: s.THREATFOX_AUTH_KEY,
      malware: s.THREATFOX_MALWARE,
      days: s.THREATFOX_DAYS,
      limit: s.THREATFOX_LIMIT,
      timeoutMs: s.THREATFOX_TIMEOUT_MS,
      reconcileBudget: s.THREATFOX_RECONCILE_BUDGET,
    },
    sentinel: {
      subscriptionId: s.AZURE_SUBSCRIPTION_ID,
      resourceGroup: s.SENTINEL_RESOURCE_GROUP,
      workspaceName: s.SENTINEL_WORKSPACE_NAME,
      armEndpoint: s.AZURE_RESOURCE_MANAGER_ENDPOINT.replace(/\/+$/, ''),
      apiVersion: s.SENTINEL_API_VERSION,
      source: s.INDICATOR_SOURCE,
      ttlDays: s.INDICATOR_TTL_DAYS,
      huntingLookback: s.HUNTING_LOOKBACK,
      concurrency: s.ARM_CONCURRENCY,
      maxRetries: s.ARM_MAX_RETRIES,
      workspaces: s.SENTINEL_WORKSPACES,
      workspacesPerSubscription: s.SENTINEL_WORKSPACES_PER_SUBSCRIPTION,
      writePath: s.SENTINEL_WRITE_PATH,
      uploadEndpoint: s.SENTINEL_TI_UPLOAD_ENDPOINT,
      logsEndpoint: s.LOG_ANALYTICS_ENDPOINT,
      requestTimeoutMs: s.ARM_TIMEOUT_MS,
      runDeadlineSeconds: s.RUN_DEADLINE_SECONDS,
      familyCleanup: !!env.THREATFOX_MALWARE?.trim(),
    },
    allowlist: s.BENIGN_ALLOWLIST,
    logLevel: s.LOG_LEVEL,
  };
}

/** The single-workspace settings that are not set, by name. */
export function missingWorkspaceSettings(s: SentinelSettings): string[] {
  const settings = [
    ['AZURE_SUBSCRIPTION_ID', s.subscriptionId],
    ['SENTINEL_RESOURCE_GROUP', s.resourceGroup],
    ['SENTINEL_WORKSPACE_NAME', s.workspaceName],
  ] as const;
  return settings.filter(([, v]) => !v).map(([k]) => k);
}

/** Writing to Azure needs the workspace; a dry run does not. */
export function requireSentinelTarget(settings: Settings): SentinelTarget {
  const s = settings.sentinel;
  const missing = missingWorkspaceSettings(s);
  if (missing.length > 0) {
    throw configError(`Writing to Sentinel needs ${missing.join(', ')} or SENTINEL_WORKSPACES (or use --dry-run)`);
  }
  return s as SentinelTarget;
}

/** Every workspace to write to: SENTINEL_WORKSPACES, or the single-workspace settings as a list of one. */
export function requireSentinelTargets(settings: Settings): SentinelTarget[] {
  const list = settings.sentinel.workspaces;
  if (!list) return [requireSentinelTarget(settings)];
  return list.map((w) => ({ ...settings.sentinel, ...w }));
}

/** Pulling from the API needs the key; reading a file does not. */
export function requireAuthKey(settings: Settings): string {
  if (!settings.threatfox.authKey) {
    throw configError(
      'THREATFOX_AUTH_KEY is not set: get a free Auth-Key at https://auth.abuse.ch/ (or pass --input FILE)',
    );
  }
  return settings.threatfox.authKey;
}
