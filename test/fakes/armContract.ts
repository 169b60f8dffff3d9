import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import addFormats from 'ajv-formats';

/**
 * The REST contract of the ARM operations the app calls, from the OpenAPI (Swagger 2.0) documents
 * of Azure/azure-rest-api-specs vendored in test/fixtures/openapi (see the README there):
 * Microsoft.SecurityInsights threat intelligence at 2025-09-01, Microsoft.OperationalInsights
 * saved searches at 2020-08-01 and a workspace's tables list at 2022-10-01, with the common types
 * they `$ref`.
 *
 * The fake ARM asks it about every request (is there such an operation, are the path, query and
 * body parameters valid) and every answer (does the body match the response schema for that
 * status). Schemas are checked with ajv (draft-04, the JSON Schema dialect of Swagger 2.0); a
 * Swagger discriminator (`kind`) is followed to the model that `x-ms-discriminator-value` names.
 */

/** The fixtures, from the TypeScript sources (jest) or from the compiled dist/test (bench, CLI tests). */
const ROOT =
  [join(__dirname, '..', 'fixtures'), join(__dirname, '..', '..', '..', 'test', 'fixtures')]
    .map((dir) => join(dir, 'openapi', 'specification'))
    .find((dir) => existsSync(dir)) ?? join(__dirname, '..', 'fixtures', 'openapi', 'specification');

/** The documents, by the api-version whose calls they describe. */
export const CONTRACT_DOCUMENTS = {
  threatIntelligence: {
    apiVersion: '2025-09-01',
    file: join(
      ROOT,
      'securityinsights/resource-manager/Microsoft.SecurityInsights/stable/2025-09-01/ThreatIntelligence.json',
    ),
  },
  savedSearches: {
    apiVersion: '2020-08-01',
    file: join(
      ROOT,
      'operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2020-08-01/SavedSearches.json',
    ),
  },
  /** The workspace's tables list (Tables_ListByWorkspace), at the version @azure/arm-operationalinsights 9.x calls. */
  tables: {
    apiVersion: '2022-10-01',
    file: join(
      ROOT,
      'operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2022-10-01/Tables.json',
    ),
  },
};

const REFERENCED = [
  'securityinsights/resource-manager/Microsoft.SecurityInsights/stable/2025-09-01/common/EntityTypes.json',
  'securityinsights/resource-manager/common/2.0/types.json',
  'operationalinsights/resource-manager/common/v1/types.json',
  'common-types/resource-management/v1/types.json',
  'common-types/resource-management/v2/types.json',
  'common-types/resource-management/v3/types.json',
  'common-types/resource-management/v5/types.json',
].map((p) => join(ROOT, p));

type Json = Record<string, any>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'body' | 'header';
  required?: boolean;
  schema?: { $ref?: string };
  [keyword: string]: unknown;
}

interface Operation {
  operationId: string;
  parameters: { parameter: Parameter; file: string }[];
  responses: Record<string, { schema?: { $ref: string } }>;
  file: string;
}

interface PathTemplate {
  pattern: RegExp;
  names: string[];
  operations: Record<string, Operation>;
}

export interface ContractVerdict {
  /** The spec's operationId, when the request matched one. */
  operationId?: string;
  /** What the real service would refuse, one line each; empty when the request is valid. */
  errors: string[];
}

export interface ArmContract {
  /** Checks a request against the operation its method and path name, or says there is none. */
  checkRequest(r: {
    method: string;
    path: string;
    query: Record<string, string>;
    body: unknown;
    apiVersion: string;
  }): ContractVerdict & { operation?: Operation };
  /** Checks an answer against the operation's response schema for its status (or `default`). */
  checkResponse(operation: Operation, status: number, body: unknown): string[];
}

let cached: ArmContract | undefined;

/** The contract, built once per process (compiling the schemas takes a moment). */
export function armContract(): ArmContract {
  return (cached ??= buildContract());
}

function buildContract(): ArmContract {
  const docs = new Map<string, Json>();
  const load = (file: string) => {
    if (!docs.has(file)) docs.set(file, JSON.parse(readFileSync(file, 'utf8')) as Json);
    return docs.get(file)!;
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // Swagger's numeric formats and ARM's own.
  const int = (bits: 32 | 64) => ({
    type: 'number' as const,
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= (bits === 32 ? 2 ** 31 : Number.MAX_SAFE_INTEGER),
  });
  ajv.addFormat('int32', int(32));
  ajv.addFormat('int64', int(64));
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('arm-id', /^\//);
  const urlOf = (file: string) => pathToFileURL(file).href;
  for (const file of [...Object.values(CONTRACT_DOCUMENTS).map((d) => d.file), ...REFERENCED])
    ajv.addSchema(load(file), urlOf(file));

  /** Follows a `$ref` (`other.json#/a/b` or `#/a/b`) from `file` to its node and the file it is in. */
  const resolve = (file: string, ref: string): { file: string; node: Json; pointer: string } => {
    const [target, pointer = ''] = ref.split('#');
    const at = target ? join(file, '..', target) : file;
    let node: Json = load(at);
    for (const part of pointer.split('/').filter(Boolean))
      node = node[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
    if (node === undefined) throw new Error(`unresolved $ref ${ref} from ${file}`);
    return { file: at, node, pointer };
  };

  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (file: string, pointer: string) => {
    const key = `${urlOf(file)}#${pointer}`;
    let v = validators.get(key);
    if (!v) {
      v = ajv.getSchema(key);
      if (!v) throw new Error(`no schema at ${key}`);
      validators.set(key, v);
    }
    return v;
  };
  const describe = (v: ValidateFunction, where: string) =>
    (v.errors ?? []).map(
      (e) =>
        `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
    );

  /**
   * Validates `value` against the schema `ref` points at; a Swagger discriminator is followed to the
   * model named by the value's discriminator property, and a list's items likewise.
   */
  const validateSchema = (file: string, ref: string, value: unknown, where: string): string[] => {
    const { file: at, node, pointer } = resolve(file, ref);
    const v = validatorFor(at, pointer);
    const errors = v(value) ? [] : describe(v, where);
    if (errors.length > 0) return errors;
    const doc = load(at);
    const name = pointer.split('/').pop()!;
    if (node.discriminator && value && typeof value === 'object') {
      const kind = (value as Json)[node.discriminator];
      const derived = Object.entries(doc.definitions ?? {}).find(
        ([, d]) =>
          (d as Json)['x-ms-discriminator-value'] === kind &&
          ((d as Json).allOf ?? []).some((a: Json) => a.$ref === `#/definitions/${name}`),
      );
      if (derived && derived[0] !== name) return validateSchema(at, `#/definitions/${derived[0]}`, value, where);
    }
    const items = node.properties?.value?.items?.$ref as string | undefined;
    if (items && Array.isArray((value as Json)?.value)) {
      return ((value as Json).value as unknown[]).flatMap((item, i) =>
        validateSchema(at, items, item, `${where}/value/${i}`),
      );
    }
    return [];
  };

  const templates: { apiVersion: string; template: PathTemplate }[] = [];
  for (const { apiVersion, file } of Object.values(CONTRACT_DOCUMENTS)) {
    const doc = load(file);
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const names: string[] = [];
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      const operations: Record<string, Operation> = {};
      for (const [method, op] of Object.entries(item)) {
        const parameters = ((op as Json).parameters as Json[])
          .map((p) => (p.$ref ? resolve(file, p.$ref) : { file, node: p }))
          .map((r) => ({ parameter: r.node as Parameter, file: r.file }));
        operations[method.toUpperCase()] = {
          operationId: (op as Json).operationId,
          parameters,
          responses: (op as Json).responses,
          file,
        };
      }
      // ARM paths are case-insensitive; a trailing slash is tolerated.
      templates.push({ apiVersion, template: { pattern: new RegExp(`^${source}/?$`, 'i'), names, operations } });
    }
  }

  const PARAMETER_KEYWORDS = ['type', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'enum'];
  const parameterValidators = new Map<Parameter, ValidateFunction>();
  const checkParameter = (p: Parameter, raw: string): string[] => {
    let v = parameterValidators.get(p);
    if (!v) {
      v = ajv.compile(Object.fromEntries(PARAMETER_KEYWORDS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]])));
      parameterValidators.set(p, v);
    }
    const value =
      p.type === 'integer' || p.type === 'number' ? Number(raw) : p.type === 'boolean' ? raw === 'true' : raw;
    return v(value) ? [] : describe(v, `${p.in} parameter ${p.name}`);
  };

  return {
    checkRequest({ method, path, query, body, apiVersion }) {
      const matches = templates.filter((t) => t.apiVersion === apiVersion && t.template.pattern.test(path));
      if (matches.length === 0) return { errors: [`no operation at ${path} in the ${apiVersion} spec`] };
      const template = matches[0].template;
      const operation = template.operations[method];
      if (!operation)
        return {
          errors: [
            `${method} is not an operation of ${path} (the spec has ${Object.keys(template.operations).join(', ')})`,
          ],
        };
      const values = template.pattern.exec(path)!.slice(1).map(decodeURIComponent);
      const errors: string[] = [];
      for (const { parameter: p, file } of operation.parameters) {
        if (p.in === 'path') errors.push(...checkParameter(p, values[template.names.indexOf(p.name)]));
        else if (p.in === 'query') {
          if (query[p.name] === undefined) {
            if (p.required) errors.push(`query parameter ${p.name} is required`);
          } else errors.push(...checkParameter(p, query[p.name]));
        } else if (p.in === 'body') {
          if (body === undefined) {
            if (p.required) errors.push(`body parameter ${p.name} is required`);
          } else errors.push(...validateSchema(file, p.schema!.$ref!, body, 'body'));
        }
      }
      return { operationId: operation.operationId, errors, operation };
    },
    checkResponse(operation, status, body) {
      const response = operation.responses[String(status)] ?? operation.responses.default;
      if (!response) return [`${operation.operationId} has no ${status} response`];
      if (!response.schema)
        return body === undefined ? [] : [`${operation.operationId} ${status} has no body in the spec`];
      if (body === undefined) return [`${operation.operationId} ${status} must have a body`];
      return validateSchema(operation.file, response.schema.$ref, body, `${operation.operationId} ${status} response`);
    },
  };
}
