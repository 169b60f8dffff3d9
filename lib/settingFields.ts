import { z } from 'zod';
import { type Allowlist, parseAllowlist } from './ioc/benign';
import { LOG_LEVELS, isLogLevel } from './logger';
import { parseWorkspaceList, type WorkspaceRef } from './workspaceRef';

/**
 * How each setting's text is read and checked (zod): numbers in a range, https URLs, ids and lists.
 * lib/config.ts puts them together into the settings schema; an unacceptable value is an issue
 * that names the setting and what was given.
 */

export const intIn = (name: string, min: number, max: number, fallback: number) =>
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

export const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

/**
 * A text setting with a default: `read` gives its value, or undefined when the text is not
 * acceptable; then the error says what it `mustBe` and what was given.
 */
export function checkedText<T>(mustBe: string, fallback: string, read: (value: string) => T | undefined) {
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
export const url = (name: string, fallback: string) =>
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

export const malwareList = z
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

export const guid = z
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

export const apiVersion = checkedText('SENTINEL_API_VERSION must look like 2025-09-01', '2025-09-01', (v) =>
  /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v) ? v : undefined,
);

export const logLevel = checkedText(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`, 'info', (v) => {
  const level = v.toLowerCase();
  return isLogLevel(level) ? level : undefined;
});

/** SENTINEL_WORKSPACES: workspace resource ids, comma-separated (run over in lib/sentinel/workspaceSync.ts). */
export const workspaceList = z
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

export const writePath = checkedText('SENTINEL_WRITE_PATH must be arm or upload', 'arm', (v) =>
  WRITE_PATHS.find((path) => path === v.toLowerCase()),
);

/** The tenant's own benign values, refused like the built-in well-known ones (lib/ioc/benign.ts). */
export const allowlist = z
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
