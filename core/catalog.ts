/** The shape of a finding catalog row: every code Keelson can emit is listed with one of these. */
import type { Action, FindingKind, Severity } from './finding.ts';

/** One code: its default (or worst) severity and action, its kind, and what it means. */
export interface CatalogEntry {
  /** Dotted code; a `<name>` part marks a family (`gpu.xid.<n>` is listed per code instead). */
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}
