/**
 * The app's alerts (issue 19, item 8): log search alert rules over AppRequests and AppTraces in the
 * app's workspace. Each query is checked by the Kusto language service against the tables' columns,
 * and matched against log lines written the way the app writes them.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import pino from 'pino';
import { IOC_POISON_QUEUE } from '../../lib/names';
import { kqlDiagnostics } from '../support/kusto';
import { objectAfter, params, stripComments, unquote, valueOf } from './bicepText';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const alertsBicep = read('infra/modules/alerts.bicep');
const code = stripComments(alertsBicep);

/** AppRequests and AppTraces as Azure Monitor's table reference lists the columns used here. */
const APP_TABLES = [
  'let AppRequests = datatable(TimeGenerated:datetime, Name:string, Success:bool, ResultCode:string, DurationMs:real, OperationId:string, OperationName:string, AppRoleName:string)[];',
  'let AppTraces = datatable(TimeGenerated:datetime, Message:string, SeverityLevel:int, Properties:dynamic, OperationId:string, OperationName:string, AppRoleName:string)[];',
].join('\n');

/** The rules as written: name and query text (Bicep escapes and the queue interpolation resolved). */
function rules(): Array<{ name: string; body: string; query: string; operator: string; threshold: string }> {
  const poison = unquote(/^var poisonQueue = (.+)$/m.exec(code)![1]);
  const list = /^var rules = \[\n([\s\S]*?)\n\]$/m.exec(code)![1];
  return list
    .split(/^ {2}\{$/m)
    .filter((b) => b.trim())
    .map((body) => {
      const raw = /query: ('(?:[^'\\]|\\.)*')/.exec(body)![1];
      const query = unquote(raw.replace(/\\n/g, '\u0000'))
        .replace(/\u0000/g, '\n')
        .replace(/\$\{poisonQueue\}/g, poison);
      const name = unquote(valueOf(body, 'name')!);
      return { name, body, query, operator: unquote(valueOf(body, 'operator')!), threshold: valueOf(body, 'threshold')! };
    });
}

/** A log line as the app writes it (pino JSON, as functions/shared/context.ts passes it to the host). */
function appLine(obj: object, msg: string): string {
  let line = '';
  pino({ base: null }, { write: (l: string) => (line = l) }).info(obj, msg);
  return line;
}

/** What `contains` does in KQL (case-insensitive substring), for the literal terms of a where clause. */
function containsTerms(query: string): string[] {
  return [...query.matchAll(/contains (?:"([^"]*)"|'([^']*)')/g)].map((m) => m[1] ?? m[2]);
}

describe('alert rules', () => {
  it('are the three the issue asks for, each a valid query over the app\'s tables', () => {
    const all = rules();
    expect(all.map((r) => r.name)).toEqual(['run-failed', 'batch-parked', 'no-success']);
    for (const r of all) expect([r.name, kqlDiagnostics(`${APP_TABLES}\n${r.query}`)]).toEqual([r.name, []]);
  });

  it('run-failed watches every function the app registers', () => {
    const registered = ['pullThreatFox.ts', 'sync.ts', 'upsertToSentinel.ts'].map(
      (f) => /app\.\w+\('(\w+)'/.exec(read(`functions/${f}`))![1],
    );
    const q = rules().find((r) => r.name === 'run-failed')!;
    for (const name of registered) expect(q.query).toContain(`"${name}"`);
    expect(q.query).toMatch(/Success == false/);
    expect([q.operator, q.threshold]).toEqual(['GreaterThan', '0']);
  });

  it('batch-parked matches the app\'s line when it parks a batch, and only such lines', () => {
    const q = rules().find((r) => r.name === 'batch-parked')!;
    const [term] = containsTerms(q.query);
    expect(term).toBe(IOC_POISON_QUEUE);
    const parked = appLine({ runId: 'r', queue: IOC_POISON_QUEUE }, 'batch failed for the last time; the host parks it in the poison queue');
    expect(parked.toLowerCase()).toContain(term.toLowerCase());
    expect(appLine({ runId: 'r' }, 'batch failed; the host will retry it').toLowerCase()).not.toContain(term.toLowerCase());
    // The app names the queue on every parking line (lib/jobs/upsert.ts).
    expect(read('lib/jobs/upsert.ts').match(/queue: (last \? )?IOC_POISON_QUEUE/g)?.length).toBeGreaterThanOrEqual(3);
  });

  it('no-success fires when no pull finished with status succeeded in the window', () => {
    const q = rules().find((r) => r.name === 'no-success')!;
    const terms = containsTerms(q.query);
    const ok = appLine({ runId: 'r', status: 'succeeded', messages: 1 }, 'pull finished');
    const partial = appLine({ runId: 'r', status: 'partial', messages: 1 }, 'pull finished');
    expect(terms.every((t) => ok.includes(t))).toBe(true);
    expect(terms.every((t) => partial.includes(t))).toBe(false);
    expect(read('lib/jobs/pull.ts')).toMatch(/\{ runId: deps\.runId, status, [^}]*\}, 'pull finished'/);
    expect([q.operator, q.threshold]).toEqual(['LessThan', '1']);
    expect(valueOf(q.body, 'windowSize')).toBe('noSuccessWindow');
  });

  it('notifies an optional e-mail action group and an optional existing one, and nothing is required', () => {
    expect(code).toMatch(/^resource emailGroup 'Microsoft\.Insights\/actionGroups@2023-01-01' = if \(!empty\(alertEmail\)\) \{$/m);
    expect(code).toMatch(
      /^var actionGroups = concat\(empty\(actionGroupId\) \? \[\] : \[actionGroupId\], empty\(alertEmail\) \? \[\] : \[emailGroup\.id\]\)$/m,
    );
    expect(code).toMatch(/actionGroups: actionGroups/);
    const main = read('infra/main.bicep');
    const mainParams = new Map(params(main).map((p) => [p.name, p]));
    for (const p of ['alertEmail', 'alertActionGroupId']) expect(mainParams.get(p)!.defaultValue).toBe("''");
    const allowed = (decorators: string) => /@allowed\(\[[^\]]*\]\)/.exec(decorators)![0];
    expect(allowed(mainParams.get('alertNoSuccessWindow')!.decorators)).toBe(
      allowed(params(alertsBicep).find((p) => p.name === 'noSuccessWindow')!.decorators),
    );
    const parameters = JSON.parse(read('infra/main.parameters.json')).parameters;
    expect(parameters.alertNoSuccessWindow.value).toBe('${ALERT_NO_SUCCESS_WINDOW=PT2H}');
    expect(valueOf(objectAfter(objectAfter(main, /module alerts 'modules\/alerts\.bicep' = \{/), /params: \{/), 'logAnalyticsWorkspaceId')).toBe(
      'monitoring.outputs.logAnalyticsId',
    );
  });

  it('the README shows the alert\'s conditions', () => {
    const readme = read('README.md');
    for (const r of rules()) expect(readme).toContain(`\`${r.name}\``);
    expect(readme).toContain('ALERT_EMAIL');
  });
});
