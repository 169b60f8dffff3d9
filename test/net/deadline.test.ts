import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { loadSettings } from '../../lib/config';
import { RunDeadlineError, runDeadlinePolicy, runDeadlineSignal, withRunDeadline } from '../../lib/net/deadline';

const ok = async (request: PipelineRequest): Promise<PipelineResponse> => ({
  request,
  status: 200,
  headers: createHttpHeaders(),
});
const send = () => runDeadlinePolicy().sendRequest(createPipelineRequest({ url: 'https://127.0.0.1/x' }), ok);

describe('run deadline', () => {
  it('by default ends a run well before the host stops the function (host.json functionTimeout)', () => {
    const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
      functionTimeout: string;
    };
    const [h, m, s] = host.functionTimeout.split(':').map(Number);
    const functionTimeoutSeconds = h * 3600 + m * 60 + s;
    const { runDeadlineSeconds } = loadSettings({}).sentinel;
    // Room after the deadline for what a run does last: run history, landed marks (Storage, bounded too).
    expect(functionTimeoutSeconds - runDeadlineSeconds).toBeGreaterThanOrEqual(5 * 60);
  });

  it('lets requests through outside a run and before its deadline', async () => {
    await expect(send()).resolves.toMatchObject({ status: 200 });
    await expect(withRunDeadline({ seconds: 60 }, send)).resolves.toMatchObject({ status: 200 });
  });

  it('fails every request once the deadline has passed, counting time spent before it started', async () => {
    const startedAt = Date.now() - 61_000;
    await expect(withRunDeadline({ seconds: 60, startedAt }, send)).rejects.toBeInstanceOf(RunDeadlineError);
    await expect(withRunDeadline({ seconds: 60, startedAt }, send)).rejects.toThrow(/RUN_DEADLINE_SECONDS=60/);
  });

  it('belongs to its own run: a concurrent run keeps its own deadline', async () => {
    const late = withRunDeadline({ seconds: 60, startedAt: Date.now() - 61_000 }, async () => {
      await new Promise((r) => setImmediate(r));
      return send();
    });
    const early = withRunDeadline({ seconds: 60 }, async () => {
      await new Promise((r) => setImmediate(r));
      return send();
    });
    await expect(late).rejects.toBeInstanceOf(RunDeadlineError);
    await expect(early).resolves.toMatchObject({ status: 200 });
    expect(runDeadlineSignal()).toBeUndefined();
  });
});
