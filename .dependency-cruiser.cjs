/**
 * The layering, enforced by `npm run lint:deps` (part of `npm test`):
 *
 *   functions/, lib/cli.ts (+ cliArgs, cliSummary, output), lib/check.ts   adapters
 *   lib/jobs/, lib/services.ts                           jobs and their composition
 *   lib/pipeline.ts (+ collect.ts)                       the one flow
 *   lib/{sentinel,kql,content,state,queue,threatfox}/, lib/input.ts             stages
 *   lib/{ioc,net,text}/, lib/{config,errors,logger,workspaceRef,...}.ts           foundations
 *
 * A module may import its own layer's siblings' folders only where a rule below allows it, and
 * never a layer above its own. lib/ never imports the Functions runtime.
 */
const FOUNDATION =
  '^lib/(ioc/|net/|text/|config\\.ts|settingFields\\.ts|errors\\.ts|logger\\.ts|groupBy\\.ts|progress\\.ts|sort\\.ts|names\\.ts|workspaceRef\\.ts)';
const STAGES = '^lib/(sentinel|kql|content|state|queue|threatfox)/|^lib/input\\.ts';
const PIPELINE = '^lib/(pipeline|collect)\\.ts';
const JOBS = '^lib/jobs/|^lib/services\\.ts';
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
      name: 'foundations-import-no-layer-above',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: [STAGES, PIPELINE, JOBS, ADAPTERS] },
    },
    {
      name: 'stages-import-no-layer-above',
      severity: 'error',
      from: { path: STAGES },
      to: { path: [PIPELINE, JOBS, ADAPTERS] },
    },
    {
      name: 'pipeline-imports-no-layer-above',
      severity: 'error',
      from: { path: PIPELINE },
      to: { path: [JOBS, ADAPTERS] },
    },
    {
      name: 'jobs-import-no-adapter',
      severity: 'error',
      from: { path: JOBS },
      to: { path: ADAPTERS },
    },
    {
      name: 'content-does-not-import-kql-runtime',
      comment: 'kql builds queries from content (MITRE, false positives); content may read kql types only.',
      severity: 'error',
      from: { path: '^lib/content/' },
      to: { path: '^lib/kql/', dependencyTypesNot: ['type-only'] },
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
