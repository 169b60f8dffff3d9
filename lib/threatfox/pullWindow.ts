import { z } from 'zod';

/**
 * What a pull asks ThreatFox for: `recent` = one `get_iocs` call over the last `days` (filtered on
 * first seen); `full` = `malwareinfo` per family. Run history stores it, so the schema is the type.
 */
export const pullWindowSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('recent'), days: z.number().int().min(1) }),
  z.object({ mode: z.literal('full') }),
]);
export type PullWindow = z.infer<typeof pullWindowSchema>;
export type PullMode = PullWindow['mode'];
