import { webBranches } from './branches';
import { assemble, CONNECTORS, entity, recentRows, type TableHunt } from './common';
import { hostExpr, normalisedHost, urlKeyExpr } from './match';

/**
 * Defender for Office 365 URL extraction (EmailUrlInfo): every URL found in a message's body,
 * subject or attachments, whether or not anyone clicked it. IOC URLs are matched as in the click
 * hunt; IOC domains (and URL IOCs' hosts) on UrlDomain or the URL's own host.
 */
export const emailUrlInfoHunt: TableHunt = {
  table: 'EmailUrlInfo',
  iocTypes: ['url', 'domain'],
  kinds: ['url', 'domain'],
  dataDescription: 'Microsoft Defender for Office 365 URLs found in email (EmailUrlInfo)',
  hitMeaning: 'A row is a URL to this infrastructure delivered in mail to your users; it shows exposure, not a click.',
  triage:
    'NetworkMessageIds name the messages: find their recipients and delivery action, purge what was delivered, and check UrlClickEvents for the same URLs to see who clicked.',
  requiredDataConnectors: CONNECTORS.m365d('EmailUrlInfo'),
  entityMappings: [entity('URL', { Url: 'Url' })],
  build(source, ctx) {
    return assemble(this, source, ctx, {
      huntsFor: "messages carrying the family's URLs and domains",
      ...webBranches(source, {
        read: recentRows(
          'EmailUrlInfo',
          `${source.hasAny('Url', 'iocHosts')} or ${source.hasAny('UrlDomain', 'iocHosts')}`,
        ),
        extend: `| extend UrlHost = ${hostExpr('Url')}, DomainHost = ${normalisedHost('UrlDomain')}, UrlKey = ${urlKeyExpr('Url')}`,
        hostColumns: ['UrlHost', 'DomainHost'],
      }),
      summary: `| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), MessageCount = dcount(NetworkMessageId),
    NetworkMessageIds = make_set(NetworkMessageId, 10), UrlLocations = make_set(UrlLocation, 5)
    by IocType, MatchedIoc, Url
| order by LastSeen desc`,
    });
  },
};
