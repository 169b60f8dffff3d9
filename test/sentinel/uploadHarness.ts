import type { AccessToken, TokenCredential } from '@azure/identity';
import type { SentinelTarget } from '../../lib/config';
import type { Ioc } from '../../lib/ioc/types';
import { connectWorkspaces } from '../../lib/sentinel/connectWorkspaces';
import type { WorkspaceStores } from '../../lib/sentinel/stores';
import type { ArmFake } from '../fakes/armServer';
import { fakeJwt, type UploadFake } from '../fakes/tiUploadServer';
import { targetFor } from './harness';

/**
 * A credential that answers each scope with what that service accepts: the fake ARM's token for
 * ARM, and a token whose audience is the scope's resource for anything else (the upload API checks it).
 */
export function scopedCredential(arm: ArmFake): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(s: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(s) ? s[0] : s;
      scopes.push(scope);
      const token = scope === `${arm.url}/.default` ? arm.token : fakeJwt(scope.replace(/\/\.default$/, ''));
      return { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    },
  };
}

export function uploadTarget(
  arm: ArmFake,
  upload: UploadFake,
  overrides: Partial<SentinelTarget> = {},
): SentinelTarget {
  return targetFor(arm, { writePath: 'upload', uploadEndpoint: upload.url, ...overrides });
}

/** The real stores of the upload path (ARM SDK + upload client) against the fakes, with short backoffs. */
export function connectUpload(
  arm: ArmFake,
  upload: UploadFake,
  overrides: Partial<SentinelTarget> = {},
  credential = scopedCredential(arm),
): WorkspaceStores {
  return connectWorkspaces([uploadTarget(arm, upload, overrides)], {
    credential,
    transport: {
      tlsCa: arm.ca,
      retryDelayInMs: 5,
      maxRetryDelayInMs: 50,
      upload: { retryDelayMs: 5, maxRetryAfterMs: 50 },
    },
  })[0];
}

/** `n` distinct IPv4 IOCs of one family, as ThreatFox would report them. */
export function ipIocs(n: number, lastSeen = '2026-06-20T12:00:00Z'): Ioc[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'ipv4' as const,
    value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 443,
    malware: 'win.netsupportmanager_rat',
    malwarePrintable: 'NetSupportManager RAT',
    threatType: 'botnet_cc',
    confidence: 90,
    threatfoxId: String(100000 + i),
    firstSeen: '2026-06-20T10:00:00Z',
    lastSeen,
  }));
}
