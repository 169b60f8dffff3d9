/**
 * The layering, enforced by `npm run lint:deps` (part of `npm test`):
 *
 *   functions/, lib/cli.ts (+ cliArgs, cliSummary, output), lib/check.ts   adapters
 *   lib/render/                                          report.md, hunting YAML, count lines
 *   lib/jobs/, lib/services.ts                           jobs and their composition
 *   lib/pipeline.ts (+ collect.ts)                       the one flow
 *   lib/{sentinel,kql,state,queue,threatfox}/, lib/input.ts       stages
 *   lib/content/                                         detection metadata the stages build from
 *   lib/{ioc,net,text}/, lib/{config,errors,logger,workspaceRef,...}.ts           foundations
 *
 * A module never imports a layer above its own; within the stages, folders may import each other
 * as long as no folder reaches itself again (no-folder-cycles). lib/ never imports the Functions runtime.
 */
const FOUNDATION =
  '^lib/(ioc/|net/|text/|config\\.ts|settingFields\\.ts|errors\\.ts|logger\\.ts|groupBy\\.ts|progress\\.ts|sort\\.ts|names\\.ts|workspaceRef\\.ts)';
const CONTENT = '^lib/content/';
const STAGES = '^lib/(sentinel|kql|state|queue|threatfox)/|^lib/input\\.ts';
const PIPELINE = '^lib/(pipeline|collect)\\.ts';
const JOBS = '^lib/jobs/|^lib/services\\.ts';
const RENDER = '^lib/render/';
const ADAPTERS = '^functions/|^lib/(cli|cliArgs|cliSummary|output|check)\\.ts';

module.exports = {
  forbidden: [
    {
      name: 'lib-without-functions-runtime',
      comment: 'lib/ is the core: only functions/ may import @azure/functions.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: 'node_modules/@azure/functions/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form a layered graph too: no folder reaches itself again, type imports included.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'foundations-import-no-layer-above',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: [CONTENT, STAGES, PIPELINE, JOBS, RENDER, ADAPTERS] },
    },
    {
      name: 'content-imports-only-foundations',
      comment: 'The builders read family names, MITRE mappings and false positives from content, never the reverse.',
      severity: 'error',
      from: { path: CONTENT },
      to: { path: [STAGES, PIPELINE, JOBS, RENDER, ADAPTERS] },
    },
    {
      name: 'stages-import-no-layer-above',
      severity: 'error',
      from: { path: STAGES },
      to: { path: [PIPELINE, JOBS, RENDER, ADAPTERS] },
    },
    {
      name: 'pipeline-imports-no-layer-above',
      severity: 'error',
      from: { path: PIPELINE },
      to: { path: [JOBS, RENDER, ADAPTERS] },
    },
    {
      name: 'jobs-import-no-adapter',
      severity: 'error',
      from: { path: JOBS },
      to: { path: [RENDER, ADAPTERS] },
    },
    {
      name: 'render-imports-no-adapter',
      comment: 'The renderers turn results into text; the adapters decide where it goes.',
      severity: 'error',
      from: { path: RENDER },
      to: { path: ADAPTERS },
    },
    {
      name: 'no-orphans-in-lib',
      severity: 'error',
      from: { orphan: true, path: '^lib/' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
