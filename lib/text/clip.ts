/**
 * Text bounds that never cut a character in half. Strings are UTF-16: a character outside the
 * BMP (emoji, many CJK extensions) is a surrogate pair, and slicing between its halves leaves a
 * lone surrogate, which is not Unicode: JSON encoders and services may reject it or turn it
 * into U+FFFD, and the name is no longer the one we meant.
 */

/** Marks text we shortened, so a reader sees it was cut. */
export const CLIP_MARKER = '…';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const hasLoneSurrogate = (text: string): boolean => {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text);
};

/** Replaces each lone surrogate with U+FFFD (the replacement character, as a well-formed decoder does). */
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, '\uFFFD');

/**
 * At most `max` UTF-16 code units (what `.length` and zod's `.max` count): the text as is, or cut
 * before a whole character and ended with `…`.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - CLIP_MARKER.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // the cut would separate a pair: keep neither half
  return `${text.slice(0, Math.max(0, end))}${CLIP_MARKER}`;
}
