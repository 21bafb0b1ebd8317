/**
 * The incident vocabulary: one failure as Keelson saw it from first evidence to recovery, the
 * root cause category, and the time it cost. Shared by the tracker (pure), the store, the REST
 * API, the CLI and the dashboard. Times are epoch ms; durations are ms.
 */

/** Root-cause categories, comparable with published failure mixes (e.g. Llama 3's 54-day run). */
export const INCIDENT_CATEGORIES = [
  'gpu',
  'gpu-memory',
  'nvlink',
  'network',
  'storage',
  'host',
  'software',
  'user-code',
  'unknown',
] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

/** Open: still failing. Mitigated: isolated or restarted, not yet progressing. Recovered: done. */
export const INCIDENT_STATUSES = ['open', 'mitigated', 'recovered'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The five moments of an incident; all but firstEvidence may be missing while it is open. */
export interface IncidentTimeline {
  /** The earliest signal, even one seen only in hindsight (the last good step before a hang). */
  firstEvidence: number;
  /** The first finding of severity ≥ degraded (or a training finding) reached the collector. */
  detected: number;
  /** A culprit (node, and GPU/link/device when known) was named. */
  identified?: number;
  /** The culprit was isolated or the job restarted. */
  mitigated?: number;
  /** Training progressed again (job incidents), or the findings cleared (node incidents). */
  recovered?: number;
}

/** Where the time went (ms). `total` = time without progress + recomputation. */
export interface LostTime {
  /** firstEvidence → detected. */
  detection: number;
  /** detected → identified (or → mitigated when never identified). */
  identification: number;
  /** identified (or detected) → recovered. */
  recovery: number;
  /** Steps redone since the restored checkpoint × the job's step time. */
  recompute: number;
  /** A straggler's extra compute time per step × the steps the job made while it lasted. */
  slowdown: number;
  /**
   * What the job lost: the stall (last good step → recovered, when training stopped) +
   * recompute + slowdown.
   */
  total: number;
  /** total × the job's GPUs, in GPU-hours. */
  gpuHours: number;
}

/** One line of an incident's timeline. */
export interface IncidentEvent {
  at: number;
  kind: 'evidence' | 'finding' | 'cleared' | 'identified' | 'isolated' | 'restarted' | 'restored' | 'progress' | 'note';
  node?: string;
  code?: string;
  component?: string;
  /** A finding's severity when it joined. */
  severity?: 'info' | 'warn' | 'degraded' | 'fatal';
  text: string;
}

/** The culprit, as specific as the evidence allows. */
export interface Culprit {
  node: string;
  /** `gpu:3`, `ib:mlx5_0/1`, `nvme0`, … when a finding names one. */
  component?: string;
  /** The finding that named it. */
  code: string;
}

export interface Incident {
  /** `inc-<n>`: a number that grows with each incident, never reused. */
  id: string;
  status: IncidentStatus;
  /** One line for lists: the root finding and where. */
  title: string;
  category: IncidentCategory;
  /** The finding the category comes from. */
  rootCode?: string;
  /** The training job it interrupted, when the nodes were in one. */
  job?: string;
  /** Every node with a finding in the incident. */
  nodes: string[];
  culprit?: Culprit;
  timeline: IncidentTimeline;
  /** The step the job had reached when it stopped progressing. */
  stepReached?: number;
  /** The checkpoint step training resumed from, and how that is known. */
  restoredStep?: number;
  restoredSource?: 'reported' | 'committed' | 'inferred';
  /** The job's median step time before the failure (ms), for recomputation. */
  stepTimeMs?: number;
  /** GPUs the job runs on (its world size), for GPU-hours. */
  gpus?: number;
  /** Training stopped (a hang, a lost rank, a restart); otherwise it went on, perhaps slower. */
  stalled: boolean;
  /** When the job was restarted from a checkpoint during the incident. */
  restartedAt?: number;
  /** Straggler time accumulated so far (ms); becomes lost.slowdown. */
  slowdownMs?: number;
  /** When the job last advanced before it stopped (the hindsight first evidence of a stall). */
  lastGoodStepAt?: number;
  /** Present once recovered. */
  lost?: LostTime;
  /** Keys (`node code component`) of the incident's findings still active; it recovers when none are, for a node incident. */
  active: string[];
  /** Finding codes seen in the incident, first-seen order. */
  codes: string[];
  events: IncidentEvent[];
}

/** The four numbers and goodput over a window. */
export interface StabilityStats {
  since: number;
  until: number;
  incidents: number;
  open: number;
  byCategory: Record<IncidentCategory, number>;
  /** Mean time between failures (ms): window ÷ incidents; absent with none. */
  mtbf: { fleet?: number; nodes: Record<string, number>; jobs: Record<string, number> };
  /** Means over the incidents of the window that have the moments (ms). */
  mttd?: number;
  mtti?: number;
  mttr?: number;
  /** Sum of lost time over recovered incidents (ms, GPU-hours). */
  lost: LostTime;
  goodput: JobGoodput[];
  /** One entry per UTC day of the window. */
  trend: { day: string; incidents: number; byCategory: Partial<Record<IncidentCategory, number>>; mttr?: number }[];
}

/** Goodput of one job over the window: productive GPU time ÷ GPU wall time. */
export interface JobGoodput {
  job: string;
  gpus: number;
  /** Time the job existed in the window (ms). */
  wall: number;
  /** wall − lost (time without progress + recomputation) (ms). */
  productive: number;
  goodput: number;
  incidents: number;
}
