import {
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { doubtfulAttemptPolicy, hadDoubtfulAttempt } from '../../lib/net/doubtfulAttemptPolicy';

const answer = (request: PipelineRequest, status: number): PipelineResponse => ({
  request,
  status,
  headers: createHttpHeaders(),
});

describe('doubtfulAttemptPolicy', () => {
  const policy = doubtfulAttemptPolicy();
  const request = () => createPipelineRequest({ url: 'https://127.0.0.1/x', method: 'POST' });

  test.each([200, 201, 400, 404, 409, 429])('an attempt answered %i leaves no doubt', async (status) => {
    const r = request();
    await policy.sendRequest(r, (req) => Promise.resolve(answer(req, status)));
    expect(hadDoubtfulAttempt(r)).toBe(false);
  });

  test.each([408, 500, 502, 503, 504])('an attempt answered %i may have landed', async (status) => {
    const r = request();
    await policy.sendRequest(r, (req) => Promise.resolve(answer(req, status)));
    expect(hadDoubtfulAttempt(r)).toBe(true);
  });

  test('an attempt cut off (reset, timeout) may have landed, and the error goes on', async () => {
    const r = request();
    const reset = new RestError('socket hang up', { code: 'ECONNRESET' });
    await expect(policy.sendRequest(r, () => Promise.reject(reset))).rejects.toBe(reset);
    expect(hadDoubtfulAttempt(r)).toBe(true);
  });

  test('the doubt stays with the request through a later success (the SDK retries the same request)', async () => {
    const r = request();
    await policy.sendRequest(r, (req) => Promise.resolve(answer(req, 503)));
    await policy.sendRequest(r, (req) => Promise.resolve(answer(req, 201)));
    expect(hadDoubtfulAttempt(r)).toBe(true);
    expect(hadDoubtfulAttempt(request())).toBe(false);
  });
});
