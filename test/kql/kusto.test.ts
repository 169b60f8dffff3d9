import { HUNTED_TABLES } from '../../lib/kql/tables';
import { TABLE_SCHEMAS } from '../support/tableSchemas';
import { kqlDiagnostics } from '../support/kusto';

describe('the Kusto checker', () => {
  test('accepts a valid query over our schemas', () => {
    expect(
      kqlDiagnostics('DeviceNetworkEvents | where TimeGenerated > ago(1d) | summarize count() by RemoteIP, RemotePort'),
    ).toEqual([]);
  });

  test('reports a misspelt column', () => {
    const errors = kqlDiagnostics('DnsEvents | where QueryName == "x"');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/QueryName/);
  });

  test('reports a syntax error', () => {
    expect(kqlDiagnostics('DnsEvents | where Name == "x\\q"').length).toBeGreaterThan(0);
    expect(kqlDiagnostics('DnsEvents | where (Name == "x"').length).toBeGreaterThan(0);
  });

  test('reports an unknown table and a type error', () => {
    expect(kqlDiagnostics('DnsEvent | take 1')[0]).toMatch(/DnsEvent/);
    expect(kqlDiagnostics('DeviceNetworkEvents | where RemotePort > "x"').length).toBeGreaterThan(0);
  });

  test('knows every hunted table with its time and key columns', () => {
    for (const table of HUNTED_TABLES) {
      expect(TABLE_SCHEMAS[table].TimeGenerated).toBe('datetime');
      expect(kqlDiagnostics(`${table} | take 1`)).toEqual([]);
    }
    expect(TABLE_SCHEMAS.CommonSecurityLog.DestinationPort).toBe('int');
    expect(TABLE_SCHEMAS.DeviceNetworkEvents.RemoteUrl).toBe('string');
    expect(TABLE_SCHEMAS.UrlClickEvents.IsClickedThrough).toBe('bool');
    expect(TABLE_SCHEMAS.ASimDnsActivityLogs.DnsQuery).toBe('string');
    expect(TABLE_SCHEMAS.ASimDnsActivityLogs.EventCount).toBe('int');
    expect(TABLE_SCHEMAS.ASimDnsActivityLogs.DnsFlagsRecursionDesired).toBe('bool');
    // ASIM names, not the legacy DnsEvents ones.
    expect(kqlDiagnostics('ASimDnsActivityLogs | where Name == "x"')[0]).toMatch(/Name/);
  });
});
