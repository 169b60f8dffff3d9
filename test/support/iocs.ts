import type { Allowlist } from '../../lib/ioc/benign';
import type { Ioc } from '../../lib/ioc/types';
import { withHuntedHost } from '../../lib/ioc/urlHost';

/**
 * IOCs written by hand, as normalising would have made them: a URL carries its hunted host
 * (`Ioc.huntedHost`), decided with `allow` (the tenant's BENIGN_ALLOWLIST; none by default).
 */
export function asNormalised(iocs: readonly Ioc[], allow?: Allowlist): Ioc[] {
  return iocs.map((ioc) => withHuntedHost(ioc, allow));
}
