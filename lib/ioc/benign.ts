/**
 * Well-known benign infrastructure: hosts whose name alone must never become a hunt.
 *
 * CONTRACT (shared by the normaliser and the KQL builder): `isWellKnownHost(host)` is true when a
 * host (lower-case domain, or an IP) is popular or shared infrastructure, so that a URL IOC on it
 * (a payload on a file-sharing or code-hosting site) stays a URL IOC but its host is never hunted
 * as a domain. The operator-experience work replaces this seed list with a maintained package list
 * plus the tenant's allow-list setting; keep the function's name and meaning.
 */
import { getDomain } from 'tldts';

const SEED_HOSTS = new Set([
  'google.com', 'microsoft.com', 'github.com', 'githubusercontent.com', 'dropbox.com', 'discord.com',
  'discordapp.com', 'discordapp.net', 'onedrive.live.com', 'live.com', 'sharepoint.com', 'amazonaws.com',
  'googleusercontent.com', 'bitbucket.org', 'gitlab.com', 'mediafire.com', 'mega.nz', 'pastebin.com',
]);

export function isWellKnownHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (SEED_HOSTS.has(h)) return true;
  const registrable = getDomain(h);
  return registrable !== null && SEED_HOSTS.has(registrable);
}
