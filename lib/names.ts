/**
 * Names shared by the timer, the queue function, the HTTP trigger, infra/ and the tests.
 * Change one here and nowhere else (infra/ spells the storage names again: test/infra checks they agree).
 */

/** The app's name: the saved searches' `createdBy` tag, the generated text's signature, the User-Agent. */
export const GENERATOR = 'threatfox-sentinel-sync';

/** Queue between the timer (producer) and upsertToSentinel (consumer). */
export const IOC_QUEUE = 'threatfox-iocs';

/** The Functions host moves a message here after `maxDequeueCount` failed attempts (its naming convention). */
export const IOC_POISON_QUEUE = `${IOC_QUEUE}-poison`;

/** App setting (or setting prefix, for identity-based connections) of the storage account. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

/** Table holding watermarks, run history and the seen-IOC fingerprints (one partition family each). */
export const STATE_TABLE = 'threatfoxstate';

/** Container for claim-check blobs: batches too large or too many for queue messages. */
export const BATCH_CONTAINER = 'threatfox-batches';
