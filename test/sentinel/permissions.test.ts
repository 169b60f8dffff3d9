import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { APP_ROLE_ACTIONS, APP_WRITE_ACTIONS, missingActions } from '../../lib/sentinel/permissions';

const target = {
  armEndpoint: 'https://127.0.0.1:1',
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-soc',
  workspaceName: 'law-sentinel',
};

/** A client whose pipeline answers the permissions list with `grants` (no network). */
function clientGranting(grants: Array<{ actions: readonly string[]; notActions?: string[] }>) {
  const urls: string[] = [];
  return {
    urls,
    sendRequest: (request: PipelineRequest): Promise<PipelineResponse> => {
      urls.push(request.url);
      return Promise.resolve({
        request,
        status: 200,
        headers: createHttpHeaders(),
        bodyAsText: JSON.stringify({ value: grants }),
      });
    },
  };
}

describe("missingActions against the app's custom role", () => {
  it('finds nothing missing when the identity holds exactly the role built from appRole.json', async () => {
    const client = clientGranting([{ actions: APP_ROLE_ACTIONS }]);
    expect(await missingActions(client, target, APP_WRITE_ACTIONS)).toEqual([]);
    expect(client.urls).toEqual([
      'https://127.0.0.1:1/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-sentinel/providers/Microsoft.Authorization/permissions?api-version=2022-04-01',
    ]);
  });

  it('names each write a narrower role leaves out', async () => {
    const [dropped, ...kept] = APP_WRITE_ACTIONS;
    const client = clientGranting([
      { actions: [...kept, ...APP_ROLE_ACTIONS.filter((a) => !APP_WRITE_ACTIONS.includes(a))] },
    ]);
    expect(await missingActions(client, target, APP_WRITE_ACTIONS)).toEqual([dropped]);
  });

  it("treats the role's reads as no writes", async () => {
    const reads = APP_ROLE_ACTIONS.filter((a) => !APP_WRITE_ACTIONS.includes(a));
    const client = clientGranting([{ actions: reads }]);
    expect(await missingActions(client, target, APP_WRITE_ACTIONS)).toEqual([...APP_WRITE_ACTIONS]);
  });
});
