/**
 * The one way a value becomes KQL text. IOC values are attacker-controlled, so nothing reaches a
 * query except through these two functions.
 *
 * We always emit a double-quoted literal with backslash escapes, never a verbatim `@"..."` one,
 * because the same text also appears inside `dynamic([...])`, whose content the engine reads as
 * JSON: the escapes used here (`\\ \" \n \r \t \uXXXX`) mean the same thing in KQL and in JSON.
 * Any other control character (and the line/paragraph separators, DEL, C1 controls and lone
 * surrogates, which editors and JSON transports mangle) is written as `\uXXXX`, so the query text
 * is plain printable text whatever the input.
 */

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// C0 controls, DEL, C1 controls (Cc) and U+2028/U+2029; then unpaired surrogates (UTF-16 units, no `u` flag).
const CONTROLS = /[\p{Cc}\u2028\u2029]/gu;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unicodeEscape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Any character one of the replacements below would touch (every surrogate, paired or not). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

/** A KQL string literal whose value is exactly `value`. */
export function kqlString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('kqlString expects a string');
  // Most values need no escape: skip the three passes (same result).
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  const escaped = value
    .replace(/["\\\n\r\t]/g, (ch) => NAMED_ESCAPES[ch] ?? unicodeEscape(ch))
    .replace(CONTROLS, unicodeEscape)
    .replace(LONE_SURROGATES, unicodeEscape);
  return `"${escaped}"`;
}

/** The length of `kqlString(value)`, without writing it for the values (most) that need no escape. */
export function kqlStringLength(value: string): number {
  return NEEDS_ESCAPE.test(value) ? kqlString(value).length : value.length + 2;
}

/** The length of a `kqlDynamicList` of `count` values whose literals have `literalChars` characters in all. */
export function kqlDynamicListLength(count: number, literalChars: number): number {
  return 'dynamic([])'.length + literalChars + 2 * Math.max(0, count - 1);
}

/** `dynamic(["a", "b"])`: a list literal for `in`, `has_any` and `mv-apply`, values in the given order. */
export function kqlDynamicList(values: readonly string[]): string {
  return `dynamic([${values.map(kqlString).join(', ')}])`;
}
