/**
 * JobAnalyzer: the small stateful class the fleet feeds with every `training` summary and with
 * each node's active findings; evaluate(now) returns, per node, the complete set of training
 * observations the collector raises (stragglers, hang suspects), like a probe run per node.
 */
import type { Observation } from '../../core/finding.ts';
import {
  type AttributionSettings,
  attributeHang,
  DEFAULT_ATTRIBUTION_SETTINGS,
  suspectObservation,
} from './attribution.ts';
import {
  DEFAULT_STRAGGLER_SETTINGS,
  isStraggler,
  type RatioPoint,
  type StragglerSettings,
  stepTimeRatios,
  stragglerObservation,
} from './straggler.ts';
import type { NodeFindingRef, NodeJobSummary, ReceivedSummary } from './types.ts';

interface JobRecord {
  latest: Map<string, ReceivedSummary>;
  ratios: Map<string, RatioPoint[]>;
}

export interface JobAnalyzerOptions {
  straggler?: Partial<StragglerSettings>;
  attribution?: Partial<AttributionSettings>;
  /** Jobs not heard from for this long are forgotten, ms. */
  forgetAfterMs?: number;
}

export class JobAnalyzer {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly hardware = new Map<string, NodeFindingRef[]>();
  private readonly straggler: StragglerSettings;
  private readonly attribution: AttributionSettings;
  private readonly forgetAfterMs: number;

  constructor(o: JobAnalyzerOptions = {}) {
    this.straggler = { ...DEFAULT_STRAGGLER_SETTINGS, ...o.straggler };
    this.attribution = { ...DEFAULT_ATTRIBUTION_SETTINGS, ...o.attribution };
    this.forgetAfterMs = o.forgetAfterMs ?? 3_600_000;
  }

  /** One `training` message from a node (the node id the session authenticated, not the payload's). */
  ingest(node: string, s: NodeJobSummary, now: number): void {
    let j = this.jobs.get(s.job);
    if (!j) {
      j = { latest: new Map(), ratios: new Map() };
      this.jobs.set(s.job, j);
    }
    j.latest.set(node, { ...s, node, receivedAt: now });
    // Each summary is one comparison point for every node in the job at this moment.
    for (const [n, ratio] of stepTimeRatios([...j.latest.values()], now, this.straggler.staleMs)) {
      if (n !== node) continue;
      const h = j.ratios.get(n) ?? [];
      h.push({ at: now, ratio });
      while (h.length > 0 && now - (h[0]?.at ?? now) > this.straggler.sustainMs * 2) h.shift();
      j.ratios.set(n, h);
    }
  }

  /** The node's active findings (attribution reads the hardware ones). */
  setNodeFindings(node: string, findings: readonly NodeFindingRef[]): void {
    this.hardware.set(node, [...findings]);
  }

  /** Drop a node (it left the fleet). */
  forgetNode(node: string): void {
    this.hardware.delete(node);
    for (const j of this.jobs.values()) {
      j.latest.delete(node);
      j.ratios.delete(node);
    }
  }

  /** Per node, every training observation that holds now (nodes without any are absent). */
  evaluate(now: number): Map<string, Observation[]> {
    const out = new Map<string, Observation[]>();
    const push = (node: string, o: Observation) => out.set(node, [...(out.get(node) ?? []), o]);
    for (const [job, j] of this.jobs) {
      const latest = [...j.latest.values()];
      if (latest.every((s) => now - s.receivedAt > this.forgetAfterMs)) {
        this.jobs.delete(job);
        continue;
      }
      for (const [node, h] of j.ratios) {
        const cur = j.latest.get(node);
        if (!cur || now - cur.receivedAt > this.straggler.staleMs) continue;
        if (isStraggler(h, now, this.straggler)) push(node, stragglerObservation(job, node, h, now, this.straggler));
      }
      const a = attributeHang(latest, this.hardware, now, this.attribution);
      if (a) for (const node of a.nodes) push(node, suspectObservation(a));
    }
    return out;
  }
}
