import { webBranches } from './branches';
import { assemble, CONNECTORS, entity, EVENT_KEY, recentRows, type TableHunt } from './common';
import { hostExpr, urlKeyExpr } from './match';

/**
 * Defender for Office 365 Safe Links clicks (mail, Teams, Office apps): who clicked a link to an
 * IOC URL (exact, or the same URL with more path/query) or to any page on an IOC domain (or a URL
 * IOC's host), whether in the clicked URL or anywhere in its redirect chain (UrlChain), and whether
 * Safe Links let them through.
 */
export const urlClickEventsHunt: TableHunt = {
  table: 'UrlClickEvents',
  iocTypes: ['url', 'domain'],
  kinds: ['url', 'domain'],
  dataDescription: 'Microsoft Defender for Office 365 Safe Links click events (UrlClickEvents)',
  hitMeaning:
    'A row is a user who clicked a link to this infrastructure, or one that redirected to it, in email, Teams or an Office app.',
  triage:
    "ClickedThrough true means Safe Links let the user through: check that user's devices for a download or new process; false means the click was blocked but the user was targeted (NetworkMessageIds). MatchedInChain true means the IOC was a redirect target, not the link itself.",
  requiredDataConnectors: CONNECTORS.m365d('UrlClickEvents'),
  entityMappings: [entity('Account', { FullName: 'AccountUpn' }), entity('URL', { Url: 'Url' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "clicks on the family's URLs and domains",
      // Every URL of the click (the link and its redirect chain) is one row to match; EventKey folds them back into one click.
      ...webBranches(source, {
        read: `${recentRows('UrlClickEvents', `${source.hasAny('Url', 'iocHosts')} or ${source.hasAny('UrlChain', 'iocHosts')}`)}
    ${EVENT_KEY}
    | mv-expand ClickedUrl = array_concat(pack_array(Url), extract_all(@'([A-Za-z][A-Za-z0-9+.-]*://[^\\s"'',\\[\\]]+)', UrlChain)) to typeof(string)`,
        extend: `| extend UrlHost = ${hostExpr('ClickedUrl')}, UrlKey = ${urlKeyExpr('ClickedUrl')}, MatchedInChain = ClickedUrl != Url`,
        hostColumns: ['UrlHost'],
        keyInRead: true,
      }),
      dedupe: true,
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ClickCount = count(),
    ClickedThrough = max(toint(IsClickedThrough)) == 1, ActionTypes = make_set(ActionType, 10),
    Workloads = make_set(Workload, 5), NetworkMessageIds = make_set(NetworkMessageId, 10), ClientIPs = make_set(IPAddress, 10)
    by IocType, MatchedIoc, MatchedInChain, AccountUpn, Url
| order by ClickedThrough desc, LastSeen desc`,
    });
  },
};
