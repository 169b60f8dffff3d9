import { z } from 'zod';
import { configError } from './errors';
import { type Allowlist, parseAllowlist } from './ioc/benign';
import { LOG_LEVELS, isLogLevel, type LogLevel } from './logger';
import { parseWorkspaceList, type WorkspaceRef } from './workspaceRef';

/** How far back the hunting queries look when HUNTING_LOOKBACK is not set. */
export const DEFAULT_LOOKBACK = '14d';

/**
 * The one place that reads settings. Functions app settings arrive as environment variables;
 * the CLI overlays its flags on the same object. Every name here is in the README table,
 * local.settings.sample.json and infra/.
 */
const intIn = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max} (got "${v}")` });
        return z.NEVER;
      }
      return n;
    });

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

/**
 * A text setting with a default: `read` gives its value, or undefined when the text is not
 * acceptable; then the error says what it `mustBe` and what was given.
 */
function checkedText<T>(mustBe: string, fallback: string, read: (value: string) => T | undefined) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx): T => {
      const value = read(v ? v : fallback);
      if (value !== undefined) return value;
      ctx.addIssue({ code: 'custom', message: `${mustBe} (got "${v}")` });
      return z.NEVER;
    });
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine (the tests' fakes). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return !!v4 && Number(v4[1]) === 127 && v4.slice(2).every((o) => Number(o) <= 255);
}

/**
 * An endpoint we send secrets to (the ThreatFox Auth-Key, ARM bearer tokens): https only. Plain
 * http is allowed for loopback hosts alone, where the local fakes and emulators run.
 */
const url = (name: string, fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      const value = v ? v : fallback;
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be an https URL (got "${value}")` });
        return z.NEVER;
      }
      if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)))
        return value;
      ctx.addIssue({
        code: 'custom',
        message:
          parsed.protocol === 'http:'
            ? `${name} must be an https URL: plain http would send credentials in clear (allowed only for localhost, 127.0.0.0/8 and ::1; got "${value}")`
            : `${name} must be an https URL (got "${value}")`,
      });
      return z.NEVER;
    });

/**
 * ThreatFox malware ids look like `win.netsupportmanager_rat`; the API rejects anything else.
 * Matched in any case: every reader lower-cases the id it accepts.
 */
export const MALWARE_ID = /^[a-z0-9][a-z0-9._-]{1,99}$/i;

const malwareList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const list = (v && v.trim() ? v : 'win.netsupportmanager_rat')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const bad = list.filter((m) => !MALWARE_ID.test(m));
    if (list.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `THREATFOX_MALWARE must be a comma-separated list of ThreatFox malware ids such as win.netsupportmanager_rat (bad: ${JSON.stringify(bad)})`,
      });
      return z.NEVER;
    }
    return [...new Set(list)];
  });

const guid = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (!v) return undefined;
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) {
      ctx.addIssue({ code: 'custom', message: `AZURE_SUBSCRIPTION_ID must be a subscription GUID (got "${v}")` });
      return z.NEVER;
    }
    return v;
  });

const apiVersion = checkedText('SENTINEL_API_VERSION must look like 2025-09-01', '2025-09-01', (v) =>
  /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v) ? v : undefined,
);

const logLevel = checkedText(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`, 'info', (v) => {
  const level = v.toLowerCase();
  return isLogLevel(level) ? level : undefined;
});

/** SENTINEL_WORKSPACES: workspace resource ids, comma-separated (lib/sentinel/workspaces.ts). */
const workspaceList = z
  .string()
  .optional()
  .transform((v, ctx): WorkspaceRef[] | undefined => {
    if (!v || !v.trim()) return undefined;
    const parsed = parseWorkspaceList(v);
    if (!parsed.ok) {
      ctx.addIssue({
        code: 'custom',
        message: `SENTINEL_WORKSPACES must be a comma-separated list of workspace resource ids: ${parsed.problems.join('; ')}`,
      });
      return z.NEVER;
    }
    return parsed.workspaces;
  });

export const WRITE_PATHS = ['arm', 'upload'] as const;
export type WritePath = (typeof WRITE_PATHS)[number];

const writePath = checkedText('SENTINEL_WRITE_PATH must be arm or upload', 'arm', (v) =>
  WRITE_PATHS.find((path) => path === v.toLowerCase()),
);

/** The tenant's own benign values, refused like the built-in well-known ones (lib/ioc/benign.ts). */
const allowlist = z
  .string()
  .optional()
  .transform((v, ctx): Allowlist => {
    const { allowlist: list, bad } = parseAllowlist(v);
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `BENIGN_ALLOWLIST must be a comma-separated list of domains, IP addresses, CIDR ranges or MD5/SHA-1/SHA-256 hashes (bad: ${JSON.stringify(bad)})`,
      });
      return z.NEVER;
    }
    return list;
  });

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
