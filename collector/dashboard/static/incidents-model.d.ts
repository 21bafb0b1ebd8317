/** Types of the incident pages' view model (incidents-model.js), so TypeScript tests can import it. */
import type { Culprit, Incident, IncidentCategory, IncidentStatus, StabilityStats } from '../../incidents/types.ts';

export type IncidentRoute = { view: 'incidents' } | { view: 'incident'; id: string };

export interface TimelineGap {
  key: 'detection' | 'identification' | 'recovery' | 'recompute';
  label: string;
  from: number;
  to: number;
  ms: number;
  ongoing: boolean;
  /** % of the axis. */
  start: number;
  width: number;
}

export interface TimelineMoment {
  key: 'firstEvidence' | 'detected' | 'identified' | 'mitigated' | 'recovered';
  label: string;
  at?: number;
  pos?: number;
}

export const INCIDENT_STATUS_META: Record<IncidentStatus, { label: string; symbol: string; cls: string; help: string }>;
export const CATEGORY_META: Record<IncidentCategory, { label: string; color: string }>;
export const CATEGORIES: IncidentCategory[];
export const MOMENTS: [TimelineMoment['key'], string][];
export const WINDOWS: [string, string][];
export function incidentRoute(hash: string | undefined): IncidentRoute | undefined;
export function formatDuration(ms: number | undefined | null): string;
export function incidentTimes(i: Incident): { ttd: number; tti?: number; ttr?: number };
export function culpritText(c: Culprit | undefined): string;
export function categoryLabel(c: string | undefined): string;
export function lostText(i: Incident): string;
export function filterIncidents(
  incidents: readonly Incident[],
  filter: { status?: string; category?: string },
): Incident[];
export function timelineLayout(incident: Incident, now: number): { moments: TimelineMoment[]; gaps: TimelineGap[] };
export function trendSeries(trend: StabilityStats['trend'] | undefined): {
  x: number[];
  stacked: { data: [number[], ...(number | null)[][]]; categories: IncidentCategory[]; raw: number[][] };
  mttrMinutes: [number[], (number | null)[]];
  total: number;
};
export function formatGoodput(g: number): string;
