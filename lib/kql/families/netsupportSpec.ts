import { NETSUPPORT_IT_INSTALL } from '../../content/falsePositives';
import type { EntityMapping } from '../queries/common';
import type { BehaviourContext } from './types';

/** One NetSupport behaviour hunt as written: what it finds, how to read a row, and its KQL body. */
export interface Spec {
  slug: string;
  /** The main table (what the saved search is filed under). */
  table: string;
  /** Every table or parser the query reads, the main one first. */
  tables: readonly string[];
  connectors: { connectorId: string; dataTypes: string[] }[];
  name: string;
  what: string;
  hitMeaning: string;
  triage: string;
  tactics: string[];
  techniques: string[];
  entityMappings: EntityMapping[];
  falsePositives: { scenario: string; guidance: string }[];
  /** The query after the time-window statements (`starttime`, `endtime` are defined). */
  body(ctx: BehaviourContext): string;
}

/** The one note on NetSupport installed on purpose (lib/content says it for the IOC hunts too). */
export const IT_INSTALL = NETSUPPORT_IT_INSTALL;

/** A path column outside Program Files (and Program Files (x86)), where the RAT's copy lives. */
export const outsideProgramFiles = (column: string) => `${column} !contains @":\\Program Files"`;

/** NetSupport's own domains: the vendor site and licensing, and the geolocation service the client asks. */
export const VENDOR_DOMAINS = ['netsupportmanager.com', 'netsupportsoftware.com'];

export const BROWSERS = [
  'brave.exe',
  'chrome.exe',
  'firefox.exe',
  'iexplore.exe',
  'msedge.exe',
  'opera.exe',
  'vivaldi.exe',
];
