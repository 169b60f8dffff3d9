/**
 * Undoes the defanging analysts apply so an IOC cannot be clicked or auto-linked.
 * Only textual substitution happens here; whether the result is a valid IOC is normalise.ts's job.
 *
 * Forms handled (case-insensitive):
 *   hxxp hxxps hXXp fxp fxps (only as a scheme, i.e. followed by ":" or a defanged ":"); the
 *   scheme comes out lower case
 *   [.] (.) {.} [dot] (dot) {dot}  (spaces inside or around are tolerated: "evil [.] com")
 *   [:] (:) {:}   [://] (://)   [@] (@) [at] (at) {at}
 *   quotes/brackets around the whole value: "x" 'x' `x` <x> [x] (x) {x}
 *   surrounding whitespace
 * Known limit, inherent to refanging: a value whose own text contains one of these tokens (a URL
 * path with "(dot)" or "hxxp:" in it) is changed too, so defang/refang round-trips every value
 * except those.
 */

/** Scheme defangs: hxxp/hxxps/hXXp/fxp, recognised only where a scheme separator follows. */
const DEFANGED_SCHEME = /\b(hxxp|fxp)(s?)(?=\s*(?:\[:\/\/\]|\(:\/\/\)|\[:\]|\(:\)|\{:\}|:))/gi;

/**
 * `(?<!\s)` makes a match start only at the beginning of a whitespace run: without it a long run of
 * spaces is rescanned from every position (quadratic time on a hostile line).
 */
const SUBSTITUTIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\[:\/\/\]|\(:\/\/\)|\{:\/\/\}/g, '://'],
  [/(?<!\s)\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\})\s*/gi, '.'],
  [/\[\s*:\s*\]|\(\s*:\s*\)|\{\s*:\s*\}/g, ':'],
  [/(?<!\s)\s*(?:\[\s*(?:@|at)\s*\]|\(\s*(?:@|at)\s*\)|\{\s*(?:@|at)\s*\})\s*/gi, '@'],
];

/** Opening → closing character of wrappers we strip when they enclose the whole value. */
const WRAPPERS: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '`': '`',
  '<': '>',
  '[': ']',
  '(': ')',
  '{': '}',
  '\u201C': '\u201D', // “ ” as word processors paste them
  '\u2018': '\u2019', // ‘ ’
};

function refangScheme(_m: string, scheme: string, s: string): string {
  return (scheme.charAt(0).toLowerCase() === 'f' ? 'ftp' : 'http') + s.toLowerCase();
}

/**
 * Strips one enclosing pair at a time, but only when the inside does not contain the wrapper
 * characters itself: `"evil.com"` → `evil.com`, while `"a" or "b"` and `[::1]:80` stay as they are.
 */
function stripWrappers(value: string): string {
  let v = value;
  for (let i = 0; i < 4 && v.length >= 2; i++) {
    const open = v.charAt(0);
    const close = WRAPPERS[open];
    if (close === undefined || v.at(-1) !== close) break;
    const inner = v.slice(1, -1);
    if (inner.includes(open) || inner.includes(close)) break;
    v = inner.trim();
  }
  return v;
}

/** Refangs one value (one line). Surrounding whitespace and enclosing quotes/brackets are removed. */
export function refangValue(value: string): string {
  let v = value.trim();
  v = v.replace(DEFANGED_SCHEME, refangScheme);
  for (const [pattern, replacement] of SUBSTITUTIONS) v = v.replace(pattern, replacement);
  return stripWrappers(v.trim());
}

/** Refangs text: each line on its own (so a pasted list keeps its lines), line breaks kept. */
export function refang(text: string): string {
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 1 ? part : refangValue(part)))
    .join('');
}
