import { z } from 'zod';
import { IOC_TYPES, type Ioc } from './types';
import { urlHost } from './urlHost';

/**
 * The runtime shape of an `Ioc`, for data that crossed a process boundary (a queue message, a
 * claim-check blob). Bounds are generous: the producer already normalised the IOC, and a consumer
 * that is stricter than its producer would only poison good messages. Unknown fields are stripped.
 */
const text = (max: number) => z.string().min(1).max(max);
const isoTime = z.iso.datetime({ offset: true });

/**
 * The bounds of the metadata an IOC carries across the queue. The ThreatFox record schema clips
 * (or drops) metadata to these same numbers where records are parsed, so whatever the timer
 * produces, the queue function accepts: one contract for both sides.
 */
export const IOC_LIMITS = {
  value: 8192,
  threatfoxId: 32,
  malware: 200,
  malwarePrintable: 500,
  threatType: 200,
  threatTypeDesc: 2000,
  reference: 4096,
  reporter: 500,
  tag: 500,
  tags: 200,
} as const;

export const iocSchema = z
  .object({
    type: z.enum(IOC_TYPES),
    value: text(IOC_LIMITS.value),
    port: z.number().int().min(1).max(65535).optional(),
    huntedHost: text(IOC_LIMITS.value).optional(),
    threatfoxId: text(IOC_LIMITS.threatfoxId).optional(),
    malware: text(IOC_LIMITS.malware).optional(),
    malwarePrintable: text(IOC_LIMITS.malwarePrintable).optional(),
    threatType: text(IOC_LIMITS.threatType).optional(),
    threatTypeDesc: text(IOC_LIMITS.threatTypeDesc).optional(),
    confidence: z.number().int().min(0).max(100).optional(),
    firstSeen: isoTime.optional(),
    lastSeen: isoTime.optional(),
    reference: text(IOC_LIMITS.reference).optional(),
    tags: z.array(z.string().max(IOC_LIMITS.tag)).max(IOC_LIMITS.tags).optional(),
    reporter: text(IOC_LIMITS.reporter).optional(),
    origin: z.literal('manual').optional(),
  })
  // A hunted host is the URL's own: any other would hunt a domain no IOC named.
  .refine((ioc) => ioc.huntedHost === undefined || (ioc.type === 'url' && urlHost(ioc.value) === ioc.huntedHost), {
    message: "must be the host of the IOC's URL (set on URL IOCs only)",
    path: ['huntedHost'],
  });

// Compile-time proof that the schema and the interface describe the same thing, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const schemaMatchesIoc: Same<z.output<typeof iocSchema>, Ioc> = true;
void schemaMatchesIoc;
