import { z } from 'zod';
import { IOC_TYPES, type Ioc } from './types';

/**
 * The runtime shape of an `Ioc`, for data that crossed a process boundary (a queue message, a
 * claim-check blob). Bounds are generous: the producer already normalised the IOC, and a consumer
 * that is stricter than its producer would only poison good messages. Unknown fields are stripped.
 */
const text = (max: number) => z.string().min(1).max(max);
const isoTime = z.iso.datetime({ offset: true });

export const iocSchema = z.object({
  type: z.enum(IOC_TYPES),
  value: text(8192),
  port: z.number().int().min(0).max(65535).optional(),
  threatfoxId: text(32).optional(),
  malware: text(200).optional(),
  malwarePrintable: text(500).optional(),
  threatType: text(200).optional(),
  threatTypeDesc: text(2000).optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  firstSeen: isoTime.optional(),
  lastSeen: isoTime.optional(),
  reference: text(4096).optional(),
  tags: z.array(z.string().max(500)).max(200).optional(),
  reporter: text(500).optional(),
  origin: z.literal('manual').optional(),
});

// Compile-time proof that the schema and the interface describe the same thing, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const schemaMatchesIoc: Same<z.output<typeof iocSchema>, Ioc> = true;
void schemaMatchesIoc;
