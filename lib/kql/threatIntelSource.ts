/**
 * The threatIntel source: the lists read, when the query runs, from the family's indicators in
 * ThreatIntelIndicators (see source.ts for the two forms and the rules they share).
 */
import { kqlString } from './literal';
import { HASH_LISTS, LIST_ORDER, MAX_HAS_ANY, type IocSource, type ListName } from './source';
import { urlKeyExpr } from './urlKey';

/**
 * How long before the time range ThreatIntelIndicators is read for the latest version of each
 * indicator: the window Microsoft's TI map rules use (`ioc_lookBack = 14d`); Sentinel writes every
 * indicator to the table again within it. Reading from before the range's start keeps indicators
 * that expired since (they still hunt the events of their own validity).
 */
export const INDICATOR_LOOKBACK = '14d';

/** Host and path of a URL column, lower-case: a URL indicator's pre-filter term when its host is not hunted. */
const URL_TERM_REGEX = '@"^(?:[^@/?#]*@)?([^?#]*)"';

/** An indicator that never expires compares as valid at any event time. */
const NEVER = 'datetime(9999-12-31)';

/**
 * The statements every threatIntel query starts with. `familyIndicators`: the latest row per
 * indicator carrying our family label (a label we write ourselves, so the selection does not
 * depend on how the service maps our source), neither deleted nor revoked, expired or not.
 * `ourIndicators`: those of them from INDICATOR_SOURCE (SourceSystem, or Source where the table
 * has it) when any is, else all of them, so an unexpected source mapping narrows nothing rather
 * than empties the hunt. `huntValues`: what they are hunted by, with when each value expires.
 * Columns not every published schema of the table lists are read with `column_ifexists`.
 */
function threatIntelPrelude(indicatorSource: string, label: string): string[] {
  const source = kqlString(indicatorSource);
  return [
    `let indicatorLookback = ${INDICATOR_LOOKBACK};`,
    `let familyIndicators = materialize(ThreatIntelIndicators
    | where TimeGenerated >= starttime - indicatorLookback
    | where set_has_element(Data.labels, ${label})
    | extend IndicatorSource = tostring(column_ifexists("Source", "")),
        Expires = coalesce(ValidUntil, column_ifexists("ExpirationDateTime", datetime(null)), ${NEVER})
    | summarize arg_max(TimeGenerated, *) by Id
    | where not(coalesce(IsDeleted, false)) and not(coalesce(Revoked, false))
    | extend FromOurSource = SourceSystem == ${source} or IndicatorSource == ${source});`,
    'let sourceMapped = toscalar(familyIndicators | summarize countif(FromOurSource)) > 0;',
    `let ourIndicators = materialize(familyIndicators
    | where FromOurSource or not(sourceMapped)
    | extend ObservableType = tostring(split(ObservableKey, ":")[0]),
        HashAlgorithm = toupper(replace_regex(ObservableKey, @"^file:hashes\\.|'", "")),
        HuntHost = extract(@'"hunt-host:([^"]+)"', 1, tostring(Data.labels)));`,
    `let huntValues = materialize(ourIndicators
    | extend Value = iff(ObservableType == "url", ObservableValue, tolower(ObservableValue))
    | extend UrlTerm = iff(ObservableType == "url", extract(${URL_TERM_REGEX}, 1, ${urlKeyExpr('Value')}), "")
    | extend OwnKind = case(ObservableType in ("ipv4-addr", "ipv6-addr"), "ip", ObservableType == "domain-name", "domain",
        ObservableType == "url", "url", HashAlgorithm in ("SHA-256", "SHA256"), "sha256", HashAlgorithm in ("SHA-1", "SHA1"), "sha1",
        HashAlgorithm == "MD5", "md5", "")
    | extend HostKind = case(isempty(HuntHost), "", HuntHost matches regex @"^[0-9.]+$" or HuntHost contains ":", "ip", "domain")
    | mv-expand Hunt = pack_array(bag_pack("Kind", OwnKind, "Value", Value, "Url", ""),
        bag_pack("Kind", iff(ObservableType == "url", "prefilter", ""), "Value", iff(isempty(HuntHost), UrlTerm, HuntHost), "Url", ""),
        bag_pack("Kind", HostKind, "Value", HuntHost, "Url", Value))
    | extend HuntKind = tostring(Hunt.Kind), HuntValue = tostring(Hunt.Value), SourceUrl = tostring(Hunt.Url)
    | where isnotempty(HuntKind) and isnotempty(HuntValue)
    | summarize Expires = max(Expires), OwnIoc = countif(isempty(SourceUrl)) > 0, SourceUrls = make_set_if(SourceUrl, isnotempty(SourceUrl), 20)
        by HuntKind, HuntValue);`,
  ];
}

const scalarList = (name: ListName, kinds: string) =>
  `let ${name} = toscalar(huntValues | where HuntKind in (${kinds}) | summarize make_set(HuntValue));`;

/** One list's `let` statements, read from `huntValues` when the query runs. */
function threatIntelLets(name: ListName): string[] {
  switch (name) {
    case 'iocIpByForm':
      return [
        `let iocIpByForm = toscalar(huntValues
    | where HuntKind == "ip"
    | extend Forms = pack_array(HuntValue, iff(HuntValue contains ":", parse_ipv6(HuntValue), strcat("::ffff:", HuntValue)))
    | mv-expand Form = Forms to typeof(string)
    | summarize make_bag(bag_pack(Form, HuntValue)));`,
        'let iocIpForms = bag_keys(iocIpByForm);',
      ];
    case 'iocIpPorts':
      return [
        `let iocIpPorts = toscalar(ourIndicators
    | where ObservableType in ("ipv4-addr", "ipv6-addr")
    | summarize make_bag(bag_pack(tolower(ObservableValue), parse_json(strcat("[", strcat_array(extract_all(@'"port:(\\d+)"', tostring(Data.labels)), ","), "]")))));`,
      ];
    case 'iocDomains':
      return [scalarList(name, '"domain"')];
    case 'iocUrls':
      return [scalarList(name, '"url"')];
    case 'iocHosts':
      return [scalarList(name, '"domain", "prefilter"')];
    case 'iocHostSources':
      return [
        `let iocHostSources = toscalar(huntValues
    | where HuntKind in ("domain", "ip") and not(OwnIoc)
    | summarize make_bag(bag_pack(HuntValue, SourceUrls)));`,
      ];
    case 'iocSha256':
    case 'iocSha1':
    case 'iocMd5':
      return [scalarList(name, kqlString(HASH_LISTS[name]))];
  }
}

const overLimit = (list: string) => `array_length(${list}) > ${MAX_HAS_ANY}`;

/** The family's indicators in ThreatIntelIndicators, read when the query runs. */
export function threatIntelSource(options: { familyId: string; indicatorSource: string }): IocSource {
  const label = kqlString(`malware:${options.familyId}`);
  return {
    form: 'threatIntel',
    has: () => true,
    lets: (names) =>
      [
        ...threatIntelPrelude(options.indicatorSource, label),
        ...LIST_ORDER.filter((n) => names.includes(n)).flatMap(threatIntelLets),
        'let iocValidity = huntValues | where HuntKind != "prefilter" | summarize IocExpires = max(Expires) by MatchedIoc = HuntValue;',
      ].join('\n'),
    validity: () => '| lookup kind=inner iocValidity on MatchedIoc\n| where TimeGenerated <= IocExpires\n',
    hasAny: (column, list) => `(${column} has_any (${list}) or ${overLimit(list)})`,
    parserList: (list) => `iff(${overLimit(list)}, dynamic([]), ${list})`,
    headerLine: () =>
      `// IOCs read when the query runs from ThreatIntelIndicators: the family's indicators (label ${label}; source ${kqlString(options.indicatorSource)} when the table maps it), expired ones included, each matching events up to its ValidUntil; new or expired IOCs need no change to this query.`,
  };
}
