import { startArmFake } from '../fakes/armServer';

// Its own file: MSAL remembers the managed-identity endpoint per process (per jest module registry).
describe('a token endpoint that never answers (issue 9, item 2)', () => {
  const KEYS = [
    'AZURE_TOKEN_CREDENTIALS',
    'IDENTITY_ENDPOINT',
    'IDENTITY_HEADER',
    'AZURE_CLIENT_ID',
    'MSI_ENDPOINT',
    'MSI_SECRET',
    'IMDS_ENDPOINT',
    'IDENTITY_SERVER_THUMBPRINT',
    'AZURE_FEDERATED_TOKEN_FILE',
  ];
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => KEYS.forEach((k) => ((saved[k] = process.env[k]), delete process.env[k])));
  afterEach(() => KEYS.forEach((k) => (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]))));

  it('the credential gives up instead of hanging the run', async () => {
    const fake = await startArmFake({ msiHeader: 'msi-secret', msiHang: true });
    try {
      process.env.AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential';
      process.env.IDENTITY_ENDPOINT = fake.msiEndpoint;
      process.env.IDENTITY_HEADER = 'msi-secret';
      const { createCredential } = await import('../../lib/sentinel/credential');
      await expect(createCredential(process.env, 200).getToken(`${fake.url}/.default`)).rejects.toThrow();
      expect(fake.msiRequests.length).toBeGreaterThanOrEqual(1);
      expect(fake.msiRequests.every((r) => r.status === 0)).toBe(true);
    } finally {
      await fake.close();
    }
  }, 30_000);
});
