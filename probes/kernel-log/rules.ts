/**
 * Rules over the matched kernel-log stream: repeats of one code on one component within the
 * burst window (Xid storms) count as one observation with a count; link up/down transitions
 * feed flap detection (`ib.link.flap`); state resets when the boot id changes.
 * Deterministic and free of I/O; `ingestLine` updates the state object it is given.
 */
import type { Observation } from '../../core/finding.ts';
import { capEvidence } from '../../core/finding.ts';
import { catalogEntry } from './catalog.ts';
import { type KernelMatch, matchLine } from './match.ts';
import type { KernelLine } from './parse.ts';
import type { KernelLogSettings } from './settings.ts';

/** An observation standing for a burst of lines: `count` lines from `firstAt` to `lastAt`. */
export interface KernelObservation extends Observation {
  count: number;
  firstAt: number;
  lastAt: number;
}

interface FlapState {
  since: number;
  lastAt: number;
  transitions: number;
  evidence: string;
}

/** What the rules remember between lines. */
export interface KernelLogState {
  bootId?: string;
  /** Open bursts by `code\0component`. */
  bursts: Map<string, KernelObservation>;
  /** Recent link transition times by interface. */
  links: Map<string, number[]>;
  /** Interfaces currently flapping. */
  flapping: Map<string, FlapState>;
  /** Recently seen dedupe keys → time. */
  dedupe: Map<string, number>;
}

/** Rule settings (a subset of the probe settings). */
export type RuleSettings = Pick<
  KernelLogSettings,
  'burstWindowSec' | 'flapTransitions' | 'flapWindowSec' | 'xidOverrides'
>;

/** What the caller knows besides the line. */
export interface IngestContext {
  /** Epoch ms now (or the time a capture stands for). */
  now: number;
  settings: RuleSettings;
  /** Boot id of the source, when known (journal lines carry their own). */
  bootId?: string;
  /** Wall-clock epoch ms of boot, to turn monotonic timestamps into time. */
  bootTimeMs?: number;
}

/** A fresh state. */
export function newKernelLogState(): KernelLogState {
  return { bursts: new Map(), links: new Map(), flapping: new Map(), dedupe: new Map() };
}

/** When a line happened: its own wall time, else boot time + monotonic, else now. */
export function lineTime(line: KernelLine, ctx: Pick<IngestContext, 'now' | 'bootTimeMs'>): number {
  if (line.at !== undefined) return line.at;
  if (line.monotonicUs !== undefined && ctx.bootTimeMs !== undefined) {
    return Math.round(ctx.bootTimeMs + line.monotonicUs / 1000);
  }
  return ctx.now;
}

const DEDUPE_MS = 60_000;

function resetForBoot(state: KernelLogState, bootId: string): void {
  state.bootId = bootId;
  state.bursts.clear();
  state.links.clear();
  state.flapping.clear();
  state.dedupe.clear();
}

/** Fold `o` into an open burst of the same key, or open a new one. Returns the new burst, if any. */
function fold(
  state: KernelLogState,
  key: string,
  o: Observation,
  t: number,
  windowMs: number,
): KernelObservation | undefined {
  const open = state.bursts.get(key);
  if (open && t >= open.firstAt - windowMs && t - open.firstAt <= windowMs) {
    open.count += 1;
    open.lastAt = Math.max(open.lastAt, t);
    return undefined;
  }
  const burst: KernelObservation = { ...o, at: t, count: 1, firstAt: t, lastAt: t };
  state.bursts.set(key, burst);
  return burst;
}

function flapObservation(iface: string, f: FlapState, settings: RuleSettings): Observation {
  const e = catalogEntry('ib.link.flap');
  return {
    code: 'ib.link.flap',
    component: `ib:${iface}`,
    severity: e.severity,
    action: e.action,
    kind: e.kind,
    message: `Link ${iface} changed state ${f.transitions} times within ${settings.flapWindowSec} s`,
    evidence: capEvidence(f.evidence),
    at: f.since,
  };
}

function onLink(
  state: KernelLogState,
  link: NonNullable<KernelMatch['link']>,
  line: KernelLine,
  t: number,
  settings: RuleSettings,
): Observation | undefined {
  const windowMs = settings.flapWindowSec * 1000;
  const times = (state.links.get(link.iface) ?? []).filter((x) => x >= t - windowMs && x <= t + windowMs);
  times.push(t);
  state.links.set(link.iface, times);
  const f = state.flapping.get(link.iface);
  if (f) {
    f.lastAt = Math.max(f.lastAt, t);
    f.transitions += 1;
    f.evidence = line.text;
    return undefined;
  }
  if (times.length < settings.flapTransitions) return undefined;
  const nf: FlapState = { since: Math.min(...times), lastAt: t, transitions: times.length, evidence: line.text };
  state.flapping.set(link.iface, nf);
  return flapObservation(link.iface, nf, settings);
}

/**
 * Feed one line. Returns the observations that are new: the first line of a burst (later lines
 * of the burst only raise the returned object's `count`/`lastAt`, in place) and flap onsets.
 */
export function ingestLine(state: KernelLogState, line: KernelLine, ctx: IngestContext): Observation[] {
  const boot = line.bootId ?? ctx.bootId;
  if (boot !== undefined && state.bootId !== boot) resetForBoot(state, boot);
  const match = matchLine(line, { xidOverrides: ctx.settings.xidOverrides });
  if (!match) return [];
  const t = lineTime(line, ctx);
  const out: Observation[] = [];
  if (match.link) {
    const flap = onLink(state, match.link, line, t, ctx.settings);
    if (flap) out.push(flap);
  }
  const o = match.observation;
  if (!o) return out;
  if (match.dedupeKey !== undefined) {
    const seen = state.dedupe.get(match.dedupeKey);
    if (seen !== undefined && Math.abs(t - seen) <= DEDUPE_MS) return out;
    state.dedupe.set(match.dedupeKey, t);
  }
  const windowMs = ctx.settings.burstWindowSec * 1000;
  if (o.code === 'gpu.fallen_off_bus') {
    // The Xid 79 line already said so; count this line in its burst.
    const xid79 = state.bursts.get(`gpu.xid.79\u0000${o.component}`);
    if (xid79 && Math.abs(t - xid79.firstAt) <= windowMs) {
      xid79.count += 1;
      xid79.lastAt = Math.max(xid79.lastAt, t);
      return out;
    }
  }
  const burst = fold(state, `${o.code}\u0000${o.component}`, o, t, windowMs);
  if (burst) out.push(burst);
  return out;
}

/** Conditions open at `now` (interfaces still flapping); forgets flaps, bursts and dedupe keys that are over. */
export function openConditions(state: KernelLogState, now: number, settings: RuleSettings): Observation[] {
  const out: Observation[] = [];
  const flapMs = settings.flapWindowSec * 1000;
  for (const [iface, f] of state.flapping) {
    if (now - f.lastAt > flapMs) {
      state.flapping.delete(iface);
      state.links.delete(iface);
    } else out.push(flapObservation(iface, f, settings));
  }
  const burstMs = settings.burstWindowSec * 1000;
  for (const [k, b] of state.bursts) if (now - b.firstAt > 2 * burstMs) state.bursts.delete(k);
  for (const [k, t] of state.dedupe) if (now - t > DEDUPE_MS) state.dedupe.delete(k);
  return out;
}

/** Run a whole parsed capture through the rules: one observation per burst (with its final count) and per flap. */
export function analyzeLines(lines: readonly KernelLine[], ctx: IngestContext): Observation[] {
  const state = newKernelLogState();
  const out: Observation[] = [];
  for (const line of lines) out.push(...ingestLine(state, line, ctx));
  for (const o of out) {
    const k = o as Partial<KernelObservation>;
    if (k.count !== undefined && k.count > 1) o.message = `${o.message} (${k.count} lines in burst)`;
  }
  return out;
}
