/** Markdown for text we do not control (IOC values, feed metadata) and for identifiers we generated. */

/** Escapes text for a markdown table cell or paragraph: no markup, no HTML, one line. */
export function mdText(text: string): string {
  return text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Inline code for identifiers we generated ourselves (ids, file names): safe backtick fencing. */
export function mdCode(text: string): string {
  const clean = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${longest > 0 ? ' ' : ''}${clean}${longest > 0 ? ' ' : ''}${fence}`;
}
