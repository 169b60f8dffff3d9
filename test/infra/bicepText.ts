/**
 * Just enough Bicep reading for static contract checks (there is no Bicep compiler offline):
 * comments and strings are told apart from code, so a `//` inside 'https://…' or a `}` inside an
 * interpolation never confuses the checks.
 */

type Kind = 'code' | 'string' | 'comment';

/** What each character of `src` is: code, part of a string literal, or part of a comment. */
export function classify(src: string): Kind[] {
  const kinds = new Array<Kind>(src.length).fill('code');
  let i = 0;
  const mark = (from: number, to: number, kind: Kind) => kinds.fill(kind, from, Math.min(to, src.length));

  const code = (insideInterpolation: boolean): void => {
    let depth = 0;
    while (i < src.length) {
      const start = i;
      if (src.startsWith('//', i)) {
        while (i < src.length && src[i] !== '\n') i++;
        mark(start, i, 'comment');
      } else if (src.startsWith('/*', i)) {
        const end = src.indexOf('*/', i + 2);
        i = end < 0 ? src.length : end + 2;
        mark(start, i, 'comment');
      } else if (src.startsWith("'''", i)) {
        const end = src.indexOf("'''", i + 3);
        i = end < 0 ? src.length : end + 3;
        mark(start, i, 'string');
      } else if (src[i] === "'") {
        kinds[i++] = 'string';
        string();
      } else {
        if (insideInterpolation && src[i] === '{') depth++;
        if (insideInterpolation && src[i] === '}') {
          if (depth === 0) return; // closes ${...}
          depth--;
        }
        i++;
      }
    }
  };

  const string = (): void => {
    while (i < src.length) {
      if (src[i] === '\\') {
        mark(i, i + 2, 'string');
        i += 2;
      } else if (src.startsWith('${', i)) {
        mark(i, i + 2, 'string');
        i += 2;
        code(true);
        if (i < src.length) kinds[i++] = 'string';
      } else if (src[i] === "'") {
        kinds[i++] = 'string';
        return;
      } else kinds[i++] = 'string';
    }
  };

  code(false);
  return kinds;
}

/** `true` at every index that is code (not inside a comment or a string literal). */
export function codeMask(src: string): boolean[] {
  return classify(src).map((k) => k === 'code');
}

/** The source with comments blanked out (strings kept), line structure preserved. */
export function stripComments(src: string): string {
  const kinds = classify(src);
  return Array.from(src, (c, i) => (kinds[i] === 'comment' && c !== '\n' ? ' ' : c)).join('');
}

/** The `{ … }` object that follows the first match of `opener` (which must end just before `{`). */
export function objectAfter(src: string, opener: RegExp): string {
  const match = opener.exec(src);
  if (!match) throw new Error(`no ${opener} in the Bicep text`);
  const mask = codeMask(src);
  const start = src.indexOf('{', match.index + match[0].length - 1);
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    if (!mask[i]) continue;
    if (src[i] === '{') depth++;
    if (src[i] === '}' && --depth === 0) return src.slice(start, i + 1);
  }
  throw new Error(`unbalanced braces after ${opener}`);
}

/** Property names at the top level of an object literal `{ … }` (one property per line, as Bicep writes them). */
export function topLevelKeys(objectText: string): string[] {
  const text = stripComments(objectText);
  const kinds = classify(text);
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    // A property starts a line that begins in code (not inside a multi-line string).
    if (depth === 1 && i > 0 && text[i - 1] === '\n' && kinds[i - 1] === 'code') {
      const m = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*|'[^']*')[ \t]*:/.exec(text.slice(i));
      if (m) keys.push(m[1].replace(/^'|'$/g, ''));
    }
    if (kinds[i] !== 'code') continue;
    if (text[i] === '{' || text[i] === '[') depth++;
    if (text[i] === '}' || text[i] === ']') depth--;
  }
  return keys;
}

/** The expression after `key:` on its line, at the top level of an object literal. */
export function valueOf(objectText: string, key: string): string | undefined {
  const m = new RegExp(`^[ \\t]*${key}[ \\t]*:[ \\t]*(.+)$`, 'm').exec(objectText);
  return m?.[1].trim();
}

export interface BicepParam {
  name: string;
  type: string;
  defaultValue?: string;
  /** The decorators written above the declaration (`@secure()`, `@minValue(1)`, …). */
  decorators: string;
}

const DECLARATION = /^(param|var|resource|module|output|type|import|targetScope|func|metadata)\b/;

/** Top-level `param` declarations with their decorators. */
export function params(src: string): BicepParam[] {
  const lines = stripComments(src).split('\n');
  const out: BicepParam[] = [];
  let pending: string[] = [];
  for (const line of lines) {
    const m = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+))?\s*$/.exec(line);
    if (m) {
      out.push({ name: m[1], type: m[2], defaultValue: m[3]?.trim(), decorators: pending.join('\n') });
      pending = [];
    } else if (DECLARATION.test(line)) {
      pending = [];
    } else if (line.trim() !== '') {
      pending.push(line);
    }
  }
  return out;
}

/** Every `'Provider/type@api-version'` a resource or existing-resource declaration uses. */
export function resourceTypes(src: string): Array<{ type: string; apiVersion: string }> {
  const out: Array<{ type: string; apiVersion: string }> = [];
  const re = /^\s*resource\s+\w+\s+'([A-Za-z.]+\/[A-Za-z/]+)@([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)'/gm;
  for (const m of stripComments(src).matchAll(re)) out.push({ type: m[1], apiVersion: m[2] });
  return out;
}

/** A Bicep string literal's content ('it''s' is not Bicep: quotes are escaped as \'). */
export function unquote(literal: string): string {
  const m = /^'((?:[^'\\]|\\.)*)'$/.exec(literal.trim());
  if (!m) throw new Error(`not a plain Bicep string literal: ${literal}`);
  return m[1].replace(/\\(.)/g, '$1');
}
