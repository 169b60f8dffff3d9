/** Malware families of the full-metadata feed, with their aliases as ThreatFox lists them. */
const FAMILIES = [
  { malware: 'win.cobalt_strike', printable: 'Cobalt Strike', alias: 'Agentemis,BEACON,CobaltStrike,cobeacon' },
  { malware: 'win.netsupportmanager_rat', printable: 'NetSupportManager RAT', alias: 'NetSupport' },
  { malware: 'win.asyncrat', printable: 'AsyncRAT', alias: null },
  { malware: 'win.remcos', printable: 'Remcos', alias: 'RemcosRAT,Remvio,Socmer' },
  { malware: 'elf.mirai', printable: 'Mirai', alias: 'Katana' },
];
const TAGS = ['c2', 'RAT', 'CobaltStrike', 'AsyncRAT', 'exe', 'dll', 'geofenced', 'USA', 'opendir', 'NetSupport'];

/** The `i`-th record of the big feed, as ThreatFox sends it: a quarter each domain, ip:port, URL and SHA-256. */
export function bigFeedRecord(i: number): Record<string, unknown> {
  const kind = i % 4;
  const [ioc, iocType] =
    kind === 0
      ? [`c2-${i}.bench-net.com`, 'domain']
      : kind === 1
        ? [`45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:443`, 'ip:port']
        : kind === 2
          ? [`http://dl-${i}.bench-net.com/Payload.txt`, 'url']
          : [i.toString(16).toUpperCase().padStart(64, '0'), 'sha256_hash'];
  return {
    id: String(1_000_000 + i),
    ioc,
    threat_type: kind === 0 ? 'botnet_cc' : 'payload_delivery',
    threat_type_desc: 'Indicator that identifies a botnet command&control server (C&C)',
    ioc_type: iocType,
    ioc_type_desc: 'bench',
    malware: 'win.netsupportmanager_rat',
    malware_printable: 'NetSupportManager RAT',
    malware_alias: null,
    malware_malpedia: null,
    confidence_level: 50 + (i % 51),
    first_seen: '2026-06-20 10:00:00 UTC',
    last_seen: null,
    reference: null,
    reporter: 'bench',
    tags: ['NetSupport', 'RAT'],
  };
}

/**
 * The `i`-th record of the full-metadata feed: what ThreatFox sends for a busy family, every field
 * set: its own reference URL, one of several reporters, family aliases and Malpedia link, two to
 * four tags, confidence, first and last seen.
 */
export function fullMetadataRecord(i: number): Record<string, unknown> {
  const base = bigFeedRecord(i);
  const family = FAMILIES[i % FAMILIES.length];
  const day = String(1 + (i % 28)).padStart(2, '0');
  const clock = `${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}`;
  return {
    ...base,
    ioc_type_desc:
      base.ioc_type === 'ip:port'
        ? 'ip:port combination that is used for botnet Command&control (C&C)'
        : `Indicator of type ${String(base.ioc_type)}`,
    malware: family.malware,
    malware_printable: family.printable,
    malware_alias: family.alias,
    malware_malpedia: `https://malpedia.caad.fkie.fraunhofer.de/details/${family.malware}`,
    confidence_level: [50, 75, 100][i % 3],
    first_seen: `2026-06-${day} ${clock} UTC`,
    last_seen: i % 5 === 0 ? null : `2026-06-${day} 23:59:59 UTC`,
    reference: `https://bazaar.abuse.ch/sample/${(i * 2654435761).toString(16).padStart(12, '0')}${i.toString(16).padStart(52, 'a')}/`,
    reporter: ['abuse_ch', 'drb_ra', 'Gi7w0rm', 'malpulse', 'JAMESWT_MHT'][i % 5],
    tags: TAGS.slice(i % 7, (i % 7) + 2 + (i % 3)),
  };
}

function answer(n: number, record: (i: number) => Record<string, unknown>): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(JSON.stringify(record(i)));
  return `{"query_status":"ok","data":[\n${parts.join(',\n')}\n]}\n`;
}

/**
 * A large ThreatFox answer (`{"query_status":"ok","data":[...]}`) of `n` distinct NetSupport IOCs,
 * a quarter each domain, ip:port, URL and SHA-256, for the 100k test and `npm run bench`.
 */
export function bigThreatFoxAnswer(n: number): string {
  return answer(n, bigFeedRecord);
}

/** The same IOCs with ThreatFox's full metadata on every record (fullMetadataRecord), for the bench's 100k runs. */
export function fullMetadataThreatFoxAnswer(n: number): string {
  return answer(n, fullMetadataRecord);
}
