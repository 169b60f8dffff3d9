/**
 * The SOC workbook (issue 19, item 9): one file, infra/workbook/threatfox-sync.workbook.json, deployed
 * by infra/modules/workbook.bicep and importable into Sentinel as it is. Every query is checked by the
 * Kusto language service against the tables' columns.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { kqlDiagnostics } from '../support/kusto';
import { objectAfter, stripComments, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface WorkbookItem {
  type: number;
  name: string;
  content: {
    query?: string;
    visualization?: string;
    title?: string;
    crossComponentResources?: string[];
    parameters?: Array<{ name: string; type: number; value: unknown }>;
  };
}
const workbook = JSON.parse(read('infra/workbook/threatfox-sync.workbook.json')) as { version: string; items: WorkbookItem[] };
const queries = workbook.items.filter((i) => i.type === 3);

/** AppRequests and AppTraces as Azure Monitor's table reference lists the columns used here. */
const APP_TABLES = [
  'let AppRequests = datatable(TimeGenerated:datetime, Name:string, Success:bool, ResultCode:string, DurationMs:real, OperationId:string, OperationName:string)[];',
  'let AppTraces = datatable(TimeGenerated:datetime, Message:string, SeverityLevel:int, OperationId:string, OperationName:string)[];',
].join('\n');

/** A query as the workbook runs it, with its parameters filled in. */
const expand = (query: string) => query.replace(/\{TimeRange\}/g, '> ago(30d)').replace(/\{Source\}/g, 'ThreatFox');

describe('the workbook file', () => {
  it('is a workbook with the time range, both workspaces and the source as parameters, workspaces left to pick', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    const [first] = workbook.items;
    expect(first.type).toBe(9);
    const byName = new Map(first.content.parameters!.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(['AppWorkspace', 'SentinelWorkspace', 'Source', 'TimeRange']);
    expect(byName.get('SentinelWorkspace')!.value).toBeNull();
    expect(byName.get('AppWorkspace')!.value).toBeNull();
    expect(byName.get('Source')!.value).toBe('ThreatFox');
  });

  it('runs only valid queries, each on one of the two workspaces', () => {
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const item of queries) {
      const query = expand(item.content.query!);
      const onApp = item.content.crossComponentResources!.includes('{AppWorkspace}');
      expect([item.name, item.content.crossComponentResources]).toEqual([item.name, [onApp ? '{AppWorkspace}' : '{SentinelWorkspace}']]);
      expect([item.name, kqlDiagnostics(onApp ? `${APP_TABLES}\n${query}` : query)]).toEqual([item.name, []]);
    }
  });

  it('shows pictures first and tables second', () => {
    const kinds = queries.map((q) => q.content.visualization);
    const firstTable = kinds.indexOf('table');
    expect(firstTable).toBeGreaterThan(0);
    expect(kinds.slice(0, firstTable).every((k) => k !== 'table')).toBe(true);
    expect(kinds.slice(firstTable).every((k) => k === 'table')).toBe(true);
  });

  it('shows what the issue asks for: by family and type over time, revoked and expired, runs, hits by table', () => {
    const q = (name: string) => queries.find((i) => i.name === name)!.content;
    expect(q('indicators-by-family').query).toMatch(/Label startswith "family:"/);
    expect(read('lib/sentinel/indicatorFacts.ts')).toMatch(/family: 'family:'/);
    expect(q('indicators-by-family').visualization).toBe('timechart');
    expect(q('indicators-by-type').query).toMatch(/split\(ObservableKey, ":"\)\[0\]/);
    expect(q('indicator-states').query).toMatch(/"Revoked".*"Expired"/s);
    expect(q('runs-by-outcome').query).toMatch(/AppRequests/);
    expect(q('hunting-hits-by-table').query).toMatch(/union isfuzzy=true/);
    for (const item of queries.filter((i) => i.content.crossComponentResources!.includes('{SentinelWorkspace}')))
      expect([item.name, item.content.query]).toEqual([item.name, expect.stringContaining('SourceSystem == "{Source}"')]);
  });
});

describe('the deployed workbook', () => {
  const module = stripComments(read('infra/modules/workbook.bicep'));

  it('is built from the same file, with the workspaces and the source preset', () => {
    expect(module).toMatch(/^var template = loadJsonContent\('\.\.\/workbook\/threatfox-sync\.workbook\.json'\)$/m);
    const presets = objectAfter(module, /var presets = \{/);
    expect(valueOf(presets, 'SentinelWorkspace')).toBe('sentinelWorkspaceId');
    expect(valueOf(presets, 'AppWorkspace')).toBe('appWorkspaceId');
    expect(valueOf(presets, 'Source')).toBe('indicatorSource');
    const props = objectAfter(module, /resource workbook 'Microsoft\.Insights\/workbooks@2023-06-01' = \{/);
    expect(valueOf(props, 'kind')).toBe("'shared'");
    expect(valueOf(props, 'category')).toBe("'sentinel'");
    expect(valueOf(props, 'sourceId')).toBe('sentinelWorkspaceId');
    expect(valueOf(props, 'serializedData')).toBe('string(workbookContent)');
    const main = read('infra/main.bicep');
    const wiring = objectAfter(objectAfter(main, /module workbook 'modules\/workbook\.bicep' = \{/), /params: \{/);
    expect(valueOf(wiring, 'sentinelWorkspaceId')).toBe('sentinelWorkspaceId');
    expect(valueOf(wiring, 'appWorkspaceId')).toBe('monitoring.outputs.logAnalyticsId');
    expect(valueOf(wiring, 'indicatorSource')).toBe('indicatorSource');
  });

  it('the README pictures its layout and says how to import the file', () => {
    const readme = read('README.md');
    expect(readme).toContain('infra/workbook/threatfox-sync.workbook.json');
    for (const item of queries) expect([item.name, readme.includes(item.content.title!)]).toEqual([item.name, true]);
  });
});
