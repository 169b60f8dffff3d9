/** How a URL becomes the key both sides of a URL match are compared by (IOC and log column alike). */

/** The scheme of a lower-cased URL. */
export const URL_KEY_REGEX = '@"^[a-z][a-z0-9+.-]*://"';

/**
 * URL without scheme, lower-case, no trailing slash, no default port (`:80` on http, `:443` on
 * https, RFC 3986 section 6.2.3): `Http://Evil.com:80/a/` and `https://evil.com/a` compare equal;
 * `http://evil.com:8080/a` keeps its port. The IOC side is normalised the same way at ingestion.
 */
export function urlKeyExpr(column: string): string {
  const lower = `tolower(${column})`;
  const noHttpPort = `replace_regex(${lower}, @"^(http://[^/?#]*):80([/?#]|$)", @"\\1\\2")`;
  const noHttpsPort = `replace_regex(${noHttpPort}, @"^(https://[^/?#]*):443([/?#]|$)", @"\\1\\2")`;
  return `trim_end("/", replace_regex(${noHttpsPort}, ${URL_KEY_REGEX}, ""))`;
}
