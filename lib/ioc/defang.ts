/**
 * Display form of an IOC for reports and tickets, so nobody clicks or auto-links it:
 * `hxxp://evil[.]com/x`, `1[.]2[.]3[.]4:80`, `evil[.]com`; hashes unchanged.
 * Only the scheme and the host are defanged; the path is shown as is (refang then gives back the
 * exact value). IPv6 is left as it is: it has no dots, and `hxxp` already stops a link.
 * Round trip: normaliseValue(refang(defang(x))) gives x back, for any normalised x whose own path
 * does not contain a defang token such as "[.]" or "(dot)".
 */
import type { Ioc } from './types';

const DEFANGED_SCHEMES: Readonly<Record<string, string>> = {
  http: 'hxxp://',
  https: 'hxxps://',
  ftp: 'fxp://',
  ftps: 'fxps://',
};

const dots = (host: string) => host.replace(/\./g, '[.]');

function defangUrl(url: string): string {
  const [, scheme, authority, rest] = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(url) ?? [];
  if (scheme === undefined || authority === undefined || rest === undefined)
    return url.replace(/\./g, '[.]').replace(/:\/\//, '[://]');
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const host = hostPort.startsWith('[') ? hostPort : dots(hostPort);
  const prefix = DEFANGED_SCHEMES[scheme.toLowerCase()] ?? `${scheme}[://]`;
  return `${prefix}${userinfo}${host}${rest}`;
}

export function defang(ioc: Pick<Ioc, 'type' | 'value' | 'port'>): string {
  const port = ioc.port !== undefined ? `:${ioc.port}` : '';
  switch (ioc.type) {
    case 'ipv4':
      return `${dots(ioc.value)}${port}`;
    case 'ipv6': {
      // Colons are what make an IPv6 address live in a chat or ticket; `[:]` refangs back.
      const address = ioc.value.replace(/:/g, '[:]');
      return port ? `[${address}]${port}` : address;
    }
    case 'domain':
      return dots(ioc.value);
    case 'url':
      return defangUrl(ioc.value);
    case 'md5':
    case 'sha1':
    case 'sha256':
      return ioc.value;
  }
}
