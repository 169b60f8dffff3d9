import { loadSettings, requireSentinelTargets } from '../../lib/config';
import type { PublishResult } from '../../lib/sentinel/stores';
import type { WorkspaceStores } from '../../lib/sentinel/stores';
import { forEachWorkspace, publishToWorkspaces } from '../../lib/sentinel/workspaceSync';
import { parseWorkspaceList } from '../../lib/workspaceRef';
import { workspaceRunRecords } from '../../lib/state/workspaceRuns';
import { syncErrorMessage } from '../support/errors';

const SUB_A = '11111111-2222-3333-4444-555555555555';
const SUB_B = '22222222-2222-3333-4444-555555555555';
const id = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${name}`;

describe('SENTINEL_WORKSPACES', () => {
  it('parses resource ids in any case, trimmed', () => {
    const parsed = parseWorkspaceList(
      ` ${id(SUB_A, 'rg-soc', 'law-eu')} ,/SUBSCRIPTIONS/${SUB_B}/resourcegroups/rg-b/providers/microsoft.operationalinsights/workspaces/law-us/`,
    );
    expect(parsed).toEqual({
      ok: true,
      workspaces: [
        { subscriptionId: SUB_A, resourceGroup: 'rg-soc', workspaceName: 'law-eu' },
        { subscriptionId: SUB_B, resourceGroup: 'rg-b', workspaceName: 'law-us' },
      ],
    });
  });

  it.each([
    ['law-eu', /is not a workspace resource id/],
    [id('not-a-guid', 'rg', 'law-eu'), /subscription that is not a GUID \("not-a-guid"\)/],
    [id(SUB_A, 'rg', 'ab'), /invalid workspace name \("ab"/],
    [id(SUB_A, 'rg.', 'law-eu'), /invalid resource group name/],
    [`${id(SUB_A, 'rg', 'law-eu')}/savedSearches/x`, /is not a workspace resource id/],
    [`${id(SUB_A, 'rg', 'law-eu')},${id(SUB_A, 'RG', 'LAW-EU')}`, /listed twice/],
    [' , ', /is empty/],
  ])('names what is wrong with %s', (text, message) => {
    const parsed = parseWorkspaceList(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems.join('\n')).toMatch(message);
  });

  it('makes the single-workspace settings a list of one, and refuses both at once', () => {
    const single = loadSettings({
      AZURE_SUBSCRIPTION_ID: SUB_A,
      SENTINEL_RESOURCE_GROUP: 'rg',
      SENTINEL_WORKSPACE_NAME: 'ws',
    });
    expect(requireSentinelTargets(single)).toEqual([
      expect.objectContaining({ subscriptionId: SUB_A, resourceGroup: 'rg', workspaceName: 'ws' }),
    ]);
    const list = loadSettings({
      SENTINEL_WORKSPACES: `${id(SUB_A, 'rg', 'law-a')},${id(SUB_B, 'rg', 'law-b')}`,
      ARM_CONCURRENCY: '3',
    });
    expect(requireSentinelTargets(list)).toEqual([
      expect.objectContaining({ subscriptionId: SUB_A, workspaceName: 'law-a', concurrency: 3 }),
      expect.objectContaining({ subscriptionId: SUB_B, workspaceName: 'law-b', concurrency: 3 }),
    ]);
    expect(
      syncErrorMessage('CONFIG', () =>
        loadSettings({ SENTINEL_WORKSPACES: id(SUB_A, 'rg', 'law-a'), SENTINEL_RESOURCE_GROUP: 'rg' }),
      ),
    ).toMatch(/SENTINEL_WORKSPACES and SENTINEL_RESOURCE_GROUP are both set/);
    expect(syncErrorMessage('CONFIG', () => loadSettings({ SENTINEL_WORKSPACES: 'law-a' }))).toMatch(
      /SENTINEL_WORKSPACES must be a comma-separated list/,
    );
  });

  it('validates the write path and the upload endpoint', () => {
    const defaults = loadSettings({});
    expect(defaults.sentinel).toMatchObject({
      writePath: 'arm',
      uploadEndpoint: 'https://api.ti.sentinel.azure.com',
      workspacesPerSubscription: 1,
    });
    expect(
      loadSettings({ SENTINEL_WRITE_PATH: 'Upload', SENTINEL_TI_UPLOAD_ENDPOINT: 'http://127.0.0.1:8443/' }).sentinel,
    ).toMatchObject({
      writePath: 'upload',
      uploadEndpoint: 'http://127.0.0.1:8443',
    });
    expect(syncErrorMessage('CONFIG', () => loadSettings({ SENTINEL_WRITE_PATH: 'bulk' }))).toMatch(
      /SENTINEL_WRITE_PATH must be arm or upload \(got "bulk"\)/,
    );
    expect(
      syncErrorMessage('CONFIG', () => loadSettings({ SENTINEL_TI_UPLOAD_ENDPOINT: 'http://api.ti.example.com' })),
    ).toMatch(/SENTINEL_TI_UPLOAD_ENDPOINT must be an https URL: plain http would send credentials in clear/);
  });
});

/** A promise the test settles by hand, so concurrency is observed without timing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('forEachWorkspace', () => {
  it('takes workspaces of one subscription in turns, other subscriptions alongside, and keeps every outcome', async () => {
    const items = [
      { name: 'a1', sub: SUB_A },
      { name: 'a2', sub: SUB_A },
      { name: 'b1', sub: SUB_B },
    ];
    const gates = new Map(items.map((i) => [i.name, gate()]));
    const started: string[] = [];
    const run = forEachWorkspace(
      items,
      (i) => i.sub,
      async (i) => {
        started.push(i.name);
        await gates.get(i.name)!.opened;
        if (i.name === 'b1') throw new Error('403');
        return i.name.toUpperCase();
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a1', 'b1']); // a2 waits for a1: same subscription
    gates.get('b1')!.open();
    gates.get('a1')!.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a1', 'b1', 'a2']);
    gates.get('a2')!.open();
    const results = await run;
    expect(results.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual(['A1', 'A2', '403']);
  });
});

describe('publishToWorkspaces', () => {
  const ws = (name: string): WorkspaceStores => ({
    workspace: { subscriptionId: SUB_A, resourceGroup: 'rg', workspaceName: name },
    indicators: {} as never,
    savedSearches: {} as never,
  });
  const counts = { created: 1, updated: 0, unchanged: 0, deleted: 0, failed: 0 };
  const ok: PublishResult = { indicators: counts, huntingQueries: counts, failures: [], queries: [] };

  it('throws the first error when every workspace failed (nothing was written anywhere)', async () => {
    const denied = Object.assign(new Error('denied'), { statusCode: 403 });
    await expect(publishToWorkspaces([ws('law-a'), ws('law-b')], async () => Promise.reject(denied))).rejects.toBe(
      denied,
    );
  });

  it('sums what succeeded, names what failed, and records a run-history row per workspace', async () => {
    const result = await publishToWorkspaces([ws('law-a'), ws('law-b')], async (stores) => {
      if (stores.workspace.workspaceName === 'law-b')
        throw Object.assign(new Error('Resource not found'), { statusCode: 404, code: 'ResourceNotFound' });
      return ok;
    });
    expect(result.indicators.created).toBe(1);
    expect(result.failures).toEqual([
      {
        kind: 'workspace',
        key: id(SUB_A, 'rg', 'law-b'),
        workspace: 'rg/law-b',
        error: 'HTTP 404 ResourceNotFound Resource not found',
      },
    ]);
    const rows = workspaceRunRecords(
      {
        runId: 'run-1',
        trigger: 'http',
        startedAt: '2026-06-21T00:00:00Z',
        status: 'partial',
        families: ['x'],
        counts: {},
      },
      result.workspaces,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        runId: 'run-1/rg/law-a',
        workspace: 'rg/law-a',
        status: 'succeeded',
        counts: expect.objectContaining({ indicatorsCreated: 1 }),
      }),
      expect.objectContaining({
        runId: 'run-1/rg/law-b',
        workspace: 'rg/law-b',
        status: 'failed',
        error: 'HTTP 404 ResourceNotFound Resource not found',
      }),
    ]);
  });
});
