import { webBranches } from './branches';
import { assemble, CONNECTORS, entity, IN_TIME_RANGE, recentRows, type TableHunt } from './common';
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
  hitMeaning:
    'A row is a URL to this infrastructure in mail one of your users received (RecipientEmailAddress, from EmailEvents); it shows exposure, not a click.',
  triage:
    'DeliveryActions say whether the message reached the mailbox: purge what was delivered (NetworkMessageIds), tell the recipient, and check UrlClickEvents for the same URLs to see who clicked.',
  requiredDataConnectors: CONNECTORS.m365d('EmailUrlInfo'),
  alsoReads: ['EmailEvents'],
  entityMappings: [entity('URL', { Url: 'Url' }), entity('Account', { FullName: 'RecipientEmailAddress' })],
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
      // One row per recipient: EmailUrlInfo names the message, EmailEvents who received it.
      summary: `| join kind=leftouter (EmailEvents
    | where ${IN_TIME_RANGE}
    | project NetworkMessageId, RecipientEmailAddress, DeliveryAction, SenderFromAddress) on NetworkMessageId
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), MessageCount = dcount(NetworkMessageId),
    NetworkMessageIds = make_set(NetworkMessageId, 10), UrlLocations = make_set(UrlLocation, 5),
    DeliveryActions = make_set(DeliveryAction, 5), Senders = make_set(SenderFromAddress, 5)
    by IocType, MatchedIoc, Url, RecipientEmailAddress
| order by LastSeen desc`,
    });
  },
};
