/** Types of the dashboard's view model (model.js), so TypeScript tests can import it. */
export type Severity = 'info' | 'warn' | 'degraded' | 'fatal';
export type TileStateName = 'isolated' | 'lost' | 'fatal' | 'degraded' | 'warn' | 'offline' | 'info' | 'ok';

export interface Tile {
  id: string;
  host: string;
  conn: 'online' | 'offline' | 'lost';
  sev: Severity | null;
  top?: string;
  n: number;
  labels: Record<string, string>;
  iso?: 'isolated' | 'pending-approval';
  lastSeen: number;
}

export interface Filter {
  text?: string;
  states?: Set<TileStateName> | null;
}

export interface GridView {
  by: string;
  filter: Filter;
  sort: 'name' | 'worst';
}

export interface Group {
  key: string;
  tiles: Tile[];
  counts: Record<TileStateName, number>;
  worst: TileStateName;
}

export interface LayoutGroup {
  start: number;
  count: number;
  cols: number;
}

export type UiMessage =
  | { type: 'hello'; version: 1; batchMs: number; serverTime: number }
  | { type: 'snapshot'; seq: number; serverTime: number; tiles: Tile[] }
  | { type: 'delta'; seq: number; serverTime: number; upsert: Tile[]; remove: string[] };

export interface Sample {
  name: string;
  value: number;
  labels?: Record<string, string>;
}

export interface PivotTable {
  columns: string[];
  rows: { key: string; values: Record<string, number>; names: Record<string, string> }[];
}

export type Route =
  | { view: 'fleet' }
  | { view: 'node'; id: string }
  | { view: 'job'; id: string }
  | { view: 'jobs' }
  | { view: 'isolation' };

export const STATES: readonly TileStateName[];
export const STATE_META: Record<TileStateName, { label: string; symbol: string; help: string }>;
export function tileState(t: Tile): TileStateName;
export function stateRank(state: string): number;
export function severityRank(sev: string): number;
export function naturalCompare(a: string, b: string): number;
export function groupKeyOf(t: Tile, by: string): string;
export function matchesFilter(t: Tile, filter: Filter): boolean;
export function countStates(tiles: Iterable<Tile>): Record<TileStateName, number>;
export function labelKeys(tiles: Iterable<Tile>): string[];
export function buildGroups(tiles: Iterable<Tile>, view: GridView): Group[];
export function applyUiMessage(table: Map<string, Tile>, msg: UiMessage): { full: boolean; changed: string[] };
export function needsRelayout(before: Tile | undefined, after: Tile | undefined, view: GridView): boolean;
export function moveIndex(layout: readonly LayoutGroup[], index: number, key: string): number;
export function formatAge(ms: number | undefined | null): string;
export function metricTitle(col: string): string;
export function formatValue(name: string, v: number): string;
export function pivotSamples(
  samples: readonly Sample[],
  spec: { prefix: string; stripPrefix?: string; rowLabels: string[]; splitLabel?: string },
): PivotTable;
export function hardwareTables(samples: readonly Sample[]): (PivotTable & { title: string; rowLabel: string })[];
export function splitFacts(facts: Record<string, string> | undefined): {
  versions: [string, string][];
  other: [string, string][];
};
export function sortFindings<T extends { severity: string; lastSeen: number; code: string }>(
  findings: readonly T[],
): T[];
export function historyOf<T extends { code: string; component: string; ts: number; id: number }>(
  events: readonly T[],
  code: string,
  component: string,
): T[];
export function stepTimeSeries(
  stepTimes: { t: number[]; series: { node: string; rank?: number; values: (number | null)[] }[] } | undefined,
  stragglers: readonly string[] | undefined,
): { data: (number | null)[][]; labels: string[]; straggler: boolean[] };
export function recentFirst<T extends { ts?: number }>(items: readonly T[], limit?: number): T[];
export function parseRoute(hash: string | undefined): Route;
