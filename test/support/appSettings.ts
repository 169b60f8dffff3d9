import { FAKE_AUTH_KEY, NETSUPPORT } from '../fakes/threatfoxServer';

/** The one workspace the single-workspace tests write to (the fake ARM serves any). */
export const FAKE_WORKSPACE = {
  AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
  SENTINEL_RESOURCE_GROUP: 'rg-soc',
  SENTINEL_WORKSPACE_NAME: 'law-sentinel',
} as const;

/** The app's settings pointed at the fake ThreatFox and the fake ARM: NetSupport into one workspace. */
export function fakeAppSettings(
  fakes: { threatfox: { url: string }; arm: { url: string } },
  over: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    THREATFOX_API_URL: fakes.threatfox.url,
    THREATFOX_AUTH_KEY: FAKE_AUTH_KEY,
    THREATFOX_MALWARE: NETSUPPORT,
    ...FAKE_WORKSPACE,
    AZURE_RESOURCE_MANAGER_ENDPOINT: fakes.arm.url,
    ...over,
  };
}
