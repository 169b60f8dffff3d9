/** The HTTP status an SDK error carries (RestError and the Storage clients say `statusCode`), if any. */
export function statusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null || !('statusCode' in e)) return undefined;
  const status = (e as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
