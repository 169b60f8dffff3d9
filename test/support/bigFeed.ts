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
 * A large ThreatFox answer (`{"query_status":"ok","data":[...]}`) of `n` distinct NetSupport IOCs,
 * a quarter each domain, ip:port, URL and SHA-256, for the 100k test and `npm run bench`.
 */
export function bigThreatFoxAnswer(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(JSON.stringify(bigFeedRecord(i)));
  return `{"query_status":"ok","data":[\n${parts.join(',\n')}\n]}\n`;
}
