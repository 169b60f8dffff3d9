import { InvocationContext } from '@azure/functions';
import { invocationLogger } from '../../../functions/shared/context';

describe('invocationLogger', () => {
  it('routes pino lines through the invocation at their level, tagged with the invocation id, secrets redacted', () => {
    const lines: Array<[string, string]> = [];
    const context = new InvocationContext({
      invocationId: 'inv-42',
      functionName: 'pullThreatFox',
      logHandler: (level, ...args) => lines.push([level, args.map(String).join(' ')]),
    });
    const logger = invocationLogger(context);
    logger.info({ headers: { 'Auth-Key': 'tf-secret-key' }, authKey: 'tf-secret-key' }, 'calling ThreatFox');
    logger.error({ token: 'eyJhbGciOi.secret.token' }, 'ARM refused');
    expect(lines.map(([level]) => level)).toEqual(['information', 'error']);
    const [info, error] = lines.map(([, line]) => JSON.parse(line));
    expect(info).toMatchObject({
      invocationId: 'inv-42',
      function: 'pullThreatFox',
      msg: 'calling ThreatFox',
      authKey: '[redacted]',
    });
    expect(info.headers['Auth-Key']).toBe('[redacted]');
    expect(error.token).toBe('[redacted]');
    expect(lines.join('\n')).not.toContain('secret');
  });
});
