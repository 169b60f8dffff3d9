import { SyncError, asAzureAccessError, configError } from '../lib/errors';

/** Shaped like core-rest-pipeline's RestError (its isRestError tests the name). */
function restError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: 'RestError',
    statusCode,
    code,
    request: { headers: { authorization: 'Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl' } },
  });
}

describe('asAzureAccessError', () => {
  it('turns ARM 403 into a CONFIG error naming the role to grant', () => {
    const e = asAzureAccessError(
      restError(
        403,
        'AuthorizationFailed',
        "The client 'abc' with object id 'abc' does not have authorization to perform action 'Microsoft.SecurityInsights/threatIntelligence/write'",
      ),
    );
    expect(e).toBeInstanceOf(SyncError);
    expect(e?.exitCode).toBe(1);
    expect(e?.message).toMatch(
      /^Azure Resource Manager denied access \(HTTP 403 AuthorizationFailed The client 'abc'.*Microsoft Sentinel Contributor/,
    );
  });

  it('turns a credential failure into a short CONFIG error saying how to sign in, each reason of a chain kept as detail', () => {
    const chain = Object.assign(new Error('ChainedTokenCredential authentication failed.'), {
      name: 'AggregateAuthenticationError',
      errors: [
        Object.assign(new Error('AzureCliCredential: Please run az login.\nmore'), {
          name: 'CredentialUnavailableError',
        }),
      ],
    });
    const e = asAzureAccessError(chain);
    expect(e?.code).toBe('CONFIG');
    // One short line with the fix; each reason of the chain is kept for LOG_LEVEL=debug and --json.
    expect(e?.message).toBe(
      'Azure login failed (AggregateAuthenticationError): sign in with `az login` (or pick a credential with AZURE_TOKEN_CREDENTIALS, e.g. dev, AzureCliCredential or ManagedIdentityCredential)',
    );
    expect(e?.detail).toBe('AzureCliCredential: Please run az login.');
  });

  it('never repeats a token that a message carries', () => {
    const e = asAzureAccessError(
      restError(
        401,
        'InvalidAuthenticationToken',
        'Token Bearer abc.def.ghi rejected; jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl',
      ),
    );
    expect(e?.message).toMatch(/Bearer \[redacted\]/);
    expect(e?.message).not.toMatch(/abc\.def\.ghi|eyJ/);
  });

  it('leaves other errors alone', () => {
    expect(asAzureAccessError(restError(404, 'NotFound', 'no workspace'))).toBeUndefined();
    expect(asAzureAccessError(restError(503, 'ServiceUnavailable', 'busy'))).toBeUndefined();
    expect(asAzureAccessError(new Error('boom'))).toBeUndefined();
    expect(asAzureAccessError(configError('THREATFOX_DAYS bad'))).toBeUndefined();
    expect(asAzureAccessError({ name: 'RestError', statusCode: 401 })).toBeUndefined();
  });
});
