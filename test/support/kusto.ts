import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { createContext, runInContext, type Context } from 'vm';
import {
  ASIM_PARSER_PARAMETERS,
  isAsimParser,
  READ_TABLE_SCHEMAS,
  TABLE_SCHEMAS,
  THREAT_INTEL_SCHEMAS,
  type ThreatIntelSchema,
} from './tableSchemas';

/**
 * The Kusto language service (the parser and binder behind Azure Data Explorer and Log Analytics
 * editors), loaded as DESIGN.md says: `bridge.min.js`, then `Kusto.Language.Bridge.min.js`.
 *
 * Both scripts are run in a VM context of their own: jest gives each test file its own global
 * object, and Bridge.NET relies on `instanceof` checks that fail across realms, so the symbols are
 * built inside that context from plain JSON and only strings come back out.
 */

interface KustoSandbox {
  __analyze(query: string): string[];
  __analyzeIn(query: string, names: string[]): string[];
  __literalValue(literal: string): string;
}

const sandboxes = new Map<ThreatIntelSchema, Context & KustoSandbox>();

const SETUP = `
  var __S = Kusto.Language.Symbols;
  var __types = {
    string: __S.ScalarTypes.String, int: __S.ScalarTypes.Int, long: __S.ScalarTypes.Long,
    real: __S.ScalarTypes.Real, bool: __S.ScalarTypes.Bool, datetime: __S.ScalarTypes.DateTime,
    dynamic: __S.ScalarTypes.Dynamic, guid: __S.ScalarTypes.Guid, timespan: __S.ScalarTypes.TimeSpan
  };
  var __tables = Object.keys(__schemas).map(function (table) {
    var cols = Object.keys(__schemas[table]).map(function (c) {
      var t = __types[__schemas[table][c]];
      if (!t) throw new Error('unknown column type ' + __schemas[table][c]);
      return new __S.ColumnSymbol(c, t);
    });
    return new __S.TableSymbol.$ctor4(table, cols);
  });
  // ASIM parsers: functions with their real parameter lists, returning their schema (an empty datatable of it).
  var __functions = Object.keys(__parsers).map(function (name) {
    var cols = Object.keys(__parserSchemas[name]).map(function (c) { return c + ':' + __parserSchemas[name][c]; }).join(', ');
    return new __S.FunctionSymbol.$ctor16(name, __parsers[name], '{ datatable(' + cols + ')[] }', null);
  });
  var __globals = Kusto.Language.GlobalState.Default.WithDatabase(new __S.DatabaseSymbol.$ctor2('workspace', null, __tables.concat(__functions)));
  function __analyze(query) {
    var code = Kusto.Language.KustoCode.ParseAndAnalyze(query, __globals);
    var diagnostics = code.GetDiagnostics();
    var out = [];
    for (var i = 0; i < diagnostics.Count; i++) {
      var d = diagnostics.getItem(i);
      if (String(d.Severity) === 'Error') {
        out.push(d.Message + ' at ' + d.Start + ': ' + JSON.stringify(query.substr(Math.max(0, d.Start - 20), d.Length + 40)));
      }
    }
    return out;
  }
  // The same analysis against a workspace that holds only some of the tables (the fake Logs API's).
  var __scoped = {};
  function __analyzeIn(query, names) {
    var key = names.join(',');
    if (!__scoped[key]) {
      var wanted = {};
      names.forEach(function (n) { wanted[n.toLowerCase()] = true; });
      var symbols = __tables.filter(function (t) { return wanted[t.Name.toLowerCase()]; }).concat(__functions);
      __scoped[key] = Kusto.Language.GlobalState.Default.WithDatabase(new __S.DatabaseSymbol.$ctor2('workspace', null, symbols));
    }
    var saved = __globals;
    __globals = __scoped[key];
    try { return __analyze(query); } finally { __globals = saved; }
  }
  function __literalValue(literal) { return Kusto.Language.KustoFacts.GetStringLiteralValue(literal); }
`;

function load(threatIntel: ThreatIntelSchema = 'validation'): Context & KustoSandbox {
  const loaded = sandboxes.get(threatIntel);
  if (loaded) return loaded;
  const dir = dirname(require.resolve('@kusto/language-service-next/package.json'));
  const tables = Object.fromEntries([
    ...Object.entries(TABLE_SCHEMAS).filter(([t]) => !isAsimParser(t)),
    ...Object.entries(READ_TABLE_SCHEMAS),
    ['ThreatIntelIndicators', THREAT_INTEL_SCHEMAS[threatIntel]],
  ]);
  const parserSchemas = Object.fromEntries(Object.entries(TABLE_SCHEMAS).filter(([t]) => isAsimParser(t)));
  const context = createContext({
    console,
    __schemas: JSON.parse(JSON.stringify(tables)),
    __parsers: { ...ASIM_PARSER_PARAMETERS },
    __parserSchemas: JSON.parse(JSON.stringify(parserSchemas)),
  });
  runInContext(readFileSync(join(dir, 'bridge.min.js'), 'utf8'), context, { filename: 'bridge.min.js' });
  runInContext(readFileSync(join(dir, 'Kusto.Language.Bridge.min.js'), 'utf8'), context, {
    filename: 'Kusto.Language.Bridge.min.js',
  });
  runInContext(SETUP, context, { filename: 'kusto-setup.js' });
  const sandbox = context as Context & KustoSandbox;
  sandboxes.set(threatIntel, sandbox);
  return sandbox;
}

/**
 * Syntax and semantic errors (unknown tables/columns/functions, type errors) in a query, with
 * ThreatIntelIndicators as one of its published schemas (`validation` unless named).
 */
export function kqlDiagnostics(query: string, threatIntel?: ThreatIntelSchema): string[] {
  return Array.from(load(threatIntel).__analyze(query));
}

/** Errors in a query against each published ThreatIntelIndicators schema, by schema. */
export function kqlDiagnosticsBySchema(query: string): Record<ThreatIntelSchema, string[]> {
  return {
    reference: kqlDiagnostics(query, 'reference'),
    validation: kqlDiagnostics(query, 'validation'),
  };
}

/**
 * The errors of a query in a workspace that holds only `tables` (the ASIM parsers, built into every
 * Sentinel workspace, are always there): what the fake Logs query API refuses.
 */
export function kqlDiagnosticsIn(query: string, tables: readonly string[]): string[] {
  return Array.from(load().__analyzeIn(query, [...tables].sort()));
}

/** What the language service reads a string literal as: an independent decoder for kqlString. */
export function kqlLiteralValue(literal: string): string {
  return load().__literalValue(literal);
}
