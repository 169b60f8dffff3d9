/** Every variable through which @azure/identity finds a managed identity or a narrowed credential. */
const IDENTITY_ENV = [
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

/**
 * Each test of the suite starts with none of the identity variables set (so nothing of the
 * developer's machine is probed) and may set them; they are put back as they were after it.
 */
export function withoutIdentityEnv(): void {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of IDENTITY_ENV) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of IDENTITY_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
}
