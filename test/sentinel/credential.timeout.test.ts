import { startArmFake } from '../fakes/armServer';
import { withoutIdentityEnv } from '../support/identityEnv';

// Its own file: MSAL remembers the managed-identity endpoint per process (per jest module registry).
describe('a token endpoint that never answers (issue 9, item 2)', () => {
  withoutIdentityEnv();

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
