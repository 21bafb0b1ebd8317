/**
 * Hang attribution: when a job hangs, which node is to blame. In order: a node that stopped
 * reporting while the others still report (and wait); a node behind the others' step; the one
 * node with a degraded or fatal hardware finding. Only a minority of the job's nodes can be
 * blamed; otherwise the hang is job-wide and nobody is named. Pure.
 */
import type { Observation } from '../../core/finding.ts';
import type { NodeFindingRef, ReceivedSummary } from './types.ts';

export interface AttributionSettings {
  /** A node that sent nothing for this long is silent, ms. */
  silentMs: number;
  /** Finding code prefixes that are hardware. */
  hardwarePrefixes: readonly string[];
}

export const DEFAULT_ATTRIBUTION_SETTINGS: AttributionSettings = {
  silentMs: 20_000,
  hardwarePrefixes: ['gpu.', 'nvswitch.', 'ib.', 'nvme.', 'kernel.edac', 'host.edac', 'host.mce', 'pcie.', 'nvlink.'],
};

export interface HangAttribution {
  job: string;
  nodes: string[];
  reason: 'silent' | 'behind' | 'hardware';
  detail: string;
}

/** Whether the job looks hung: some fresh node says so, or every node has gone silent after reporting. */
export function jobHung(latest: readonly ReceivedSummary[], now: number, s: AttributionSettings): boolean {
  const fresh = latest.filter((x) => now - x.receivedAt <= s.silentMs);
  return fresh.some((x) => x.hung === true);
}

/** Blame for a hung job, or undefined when it is not hung or no minority stands out. */
export function attributeHang(
  latest: readonly ReceivedSummary[],
  hardware: ReadonlyMap<string, readonly NodeFindingRef[]>,
  now: number,
  s: AttributionSettings = DEFAULT_ATTRIBUTION_SETTINGS,
): HangAttribution | undefined {
  const job = latest[0]?.job;
  if (!job || latest.length < 2 || !jobHung(latest, now, s)) return undefined;
  const minority = (n: number) => n > 0 && n * 2 < latest.length;
  const silent = latest.filter((x) => now - x.receivedAt > s.silentMs);
  if (minority(silent.length)) {
    return {
      job,
      nodes: silent.map((x) => x.node).sort(),
      reason: 'silent',
      detail: `stopped reporting ${silent.map((x) => `${x.node} (${Math.round((now - x.receivedAt) / 1000)} s ago)`).join(', ')} while the other ${latest.length - silent.length} nodes wait`,
    };
  }
  const top = Math.max(...latest.map((x) => x.lastStep));
  const behind = latest.filter((x) => x.lastStep < top);
  if (minority(behind.length)) {
    return {
      job,
      nodes: behind.map((x) => x.node).sort(),
      reason: 'behind',
      detail: `behind the others' step ${top}: ${behind.map((x) => `${x.node} at ${x.lastStep}`).join(', ')}`,
    };
  }
  const bad = latest.filter((x) =>
    (hardware.get(x.node) ?? []).some(
      (f) =>
        (f.severity === 'degraded' || f.severity === 'fatal') && s.hardwarePrefixes.some((p) => f.code.startsWith(p)),
    ),
  );
  if (minority(bad.length)) {
    return {
      job,
      nodes: bad.map((x) => x.node).sort(),
      reason: 'hardware',
      detail: `hardware findings: ${bad
        .map(
          (x) =>
            `${x.node} ${(hardware.get(x.node) ?? [])
              .map((f) => `${f.code}@${f.component}`)
              .slice(0, 4)
              .join(' ')}`,
        )
        .join('; ')}`,
    };
  }
  return undefined;
}

/** The `train.hang.suspect` observation for one blamed node. */
export function suspectObservation(a: HangAttribution): Observation {
  return {
    code: 'train.hang.suspect',
    component: `job:${a.job}`,
    severity: 'degraded',
    action: a.reason === 'hardware' ? 'drain' : 'restart-job',
    kind: 'condition',
    message: `Job ${a.job} is hung and points at this node: ${a.detail}`,
    evidence: `reason=${a.reason} nodes=${a.nodes.join(',')}`,
  };
}
