import {
  CONNECTORS, domainMatch, domainValues, header, hostExpr, hostsLet, listLet, lookbackLet, ofType, sharedLet, sortedUnique,
  urlKeyExpr, urlMatch, type TableHunt,
} from './common';

/**
 * Defender for Office 365 Safe Links clicks (mail, Teams, Office apps): who clicked a link to an
 * IOC URL (exact, or the same URL with more path/query) or to any page on an IOC domain, and
 * whether Safe Links let them through.
 */
export const urlClickEventsHunt: TableHunt = {
  table: 'UrlClickEvents',
  iocTypes: ['url', 'domain'],
  dataDescription: 'Microsoft Defender for Office 365 Safe Links click events (UrlClickEvents)',
  hitMeaning: 'A row is a user who clicked a link to this infrastructure in email, Teams or an Office app.',
  triage:
    'ClickedThrough true means Safe Links let the user through: check that user\'s devices for a download or new process; false means the click was blocked but the user was targeted (NetworkMessageIds).',
  requiredDataConnectors: CONNECTORS.m365d('UrlClickEvents'),
  entityMappings: [
    { entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'AccountUpn' }] },
    { entityType: 'URL', fieldMappings: [{ identifier: 'Url', columnName: 'Url' }] },
  ],
  build(iocs, ctx) {
    const domains = ofType(iocs, 'domain');
    const urls = ofType(iocs, 'url');
    const lets = [lookbackLet(ctx)];
    if (domains.length > 0) lets.push(listLet('iocDomains', domainValues(domains)));
    if (urls.length > 0) lets.push(listLet('iocUrls', sortedUnique(urls.map((u) => u.value))));
    lets.push(hostsLet(domains, urls));
    const branches: string[] = [];
    const names: string[] = [];
    if (urls.length > 0) {
      names.push('urlHits');
      branches.push(`let urlHits = clicks
${urlMatch('UrlKey', 'iocUrls', '    ')}
    | extend IocType = "url";`);
    }
    if (domains.length > 0) {
      names.push('domainHits');
      branches.push(`let domainHits = clicks
${domainMatch('UrlHost', 'iocDomains', '    ')}
    | extend IocType = "domain";`);
    }
    const source = names.length === 1 ? names[0]! : `union ${names.join(', ')}`;
    return `${header(this, `Hunts ${this.dataDescription} for clicks on the family's URLs and domains.`, iocs, ctx)}
${lets.join('\n')}
${sharedLet('clicks', `UrlClickEvents
    | where TimeGenerated > ago(lookback)
    | where Url has_any (iocHosts)
    | extend UrlHost = ${hostExpr('Url')}, UrlKey = ${urlKeyExpr('Url')}`, names.length)}
${branches.join('\n')}
${source}
| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), ClickCount = count(),
    ClickedThrough = max(toint(IsClickedThrough)) == 1, ActionTypes = make_set(ActionType, 10),
    Workloads = make_set(Workload, 5), NetworkMessageIds = make_set(NetworkMessageId, 10), ClientIPs = make_set(IPAddress, 10)
    by IocType, MatchedIoc, AccountUpn, Url
| order by ClickedThrough desc, LastSeen desc`;
  },
};
