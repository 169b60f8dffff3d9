import { HUNTED_TABLES } from '../../lib/content/tables';
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

  test('knows every hunted table: its time column, and no column it does not have', () => {
    for (const table of HUNTED_TABLES) {
      expect([table, kqlDiagnostics(`${table} | where TimeGenerated > ago(1d) | take 1`)]).toEqual([table, []]);
      expect([table, kqlDiagnostics(`${table} | where NoSuchColumn == 1`).length]).toEqual([table, 1]);
    }
    // ASIM names, not the legacy DnsEvents ones.
    expect(kqlDiagnostics('ASimDnsActivityLogs | where Name == "x"')[0]).toMatch(/Name/);
  });

  test('binds the column types the generated queries depend on', () => {
    // A string column compared with a time is an error, so the check above proves TimeGenerated is a datetime.
    expect(kqlDiagnostics('DnsEvents | where Name > ago(1d)').length).toBeGreaterThan(0);
    // Counts and ports are numbers (summed; set_has_element against the IOC's ports); a flag is a predicate.
    for (const [table, column] of [
      ['ASimDnsActivityLogs', 'EventCount'],
      ['CommonSecurityLog', 'DestinationPort'],
      ['DeviceNetworkEvents', 'RemotePort'],
    ]) {
      expect([column, kqlDiagnostics(`${table} | summarize sum(${column})`)]).toEqual([column, []]);
      expect([column, kqlDiagnostics(`${table} | where ${column} > "x"`).length]).toEqual([column, 1]);
    }
    expect(kqlDiagnostics('UrlClickEvents | where IsClickedThrough')).toEqual([]);
    expect(kqlDiagnostics('DeviceNetworkEvents | where RemoteUrl contains "/"')).toEqual([]);
  });
});
