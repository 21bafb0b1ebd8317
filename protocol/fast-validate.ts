/**
 * Hand-written checks for the frequent messages (metrics and heartbeats from agents; acks and
 * heartbeats from the collector), so the hot path does not pay for a zod parse of every frame.
 * Each check is strictly narrower than its zod schema in protocol/messages.ts: it answers the
 * message itself only when zod would accept it and return an equal value (no unknown keys, no
 * key present with `undefined`, plain objects only, strings within their limits in UTF-16 units),
 * and `undefined` for anything else, so the caller runs the full zod parse and every refusal
 * keeps zod's exact error. fast-validate.test.ts holds it to that over valid and mutated messages.
 */
import { PROBE_STATUSES } from './messages.ts';

type Rec = Record<string, unknown>;

/** What the fast path may answer: the frame's own (decoded) object, typed by the caller. */
export type FastResult = Rec | undefined;

const PROBE_STATUS_SET: ReadonlySet<unknown> = new Set(PROBE_STATUSES);
const OBJECT_PROTO = Object.prototype;

function isPlain(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === OBJECT_PROTO;
}

/** Own enumerable keys of a plain object (msgpackr's maps), or -1 when one of them is `__proto__`. */
function keyCount(o: Rec): number {
  let n = 0;
  for (const k in o) {
    if (k === '__proto__') return -1;
    n++;
  }
  return n;
}

const str = (x: unknown, max: number): boolean => typeof x === 'string' && x.length <= max;
const int = (x: unknown): x is number => Number.isSafeInteger(x);
const ts = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Count `key` as a present optional field: 1 when it holds a value, 0 when absent, -1 (give up)
 * when present with `undefined` (zod keeps such a key; the fast path leaves that case to zod).
 */
function optional(o: Rec, key: string): number {
  const v = o[key];
  if (v !== undefined) return 1;
  return key in o ? -1 : 0;
}

/** z.record(str(128), str(512)) with at most 64 keys. */
function labelsOk(x: unknown): boolean {
  if (!isPlain(x)) return false;
  let n = 0;
  for (const k in x) {
    if (k === '__proto__' || k.length > 128 || !str(x[k], 512)) return false;
    if (++n > 64) return false;
  }
  return true;
}

/** probeStatusSchema. */
function probeOk(p: unknown): boolean {
  if (!isPlain(p)) return false;
  if (!str(p.name, 256) || !PROBE_STATUS_SET.has(p.status)) return false;
  const reason = optional(p, 'reason');
  const lastRun = optional(p, 'lastRun');
  const durationMs = optional(p, 'durationMs');
  if (reason < 0 || lastRun < 0 || durationMs < 0) return false;
  if (reason && !str(p.reason, 2048)) return false;
  if (lastRun && !ts(p.lastRun)) return false;
  if (durationMs && !(finite(p.durationMs) && p.durationMs >= 0)) return false;
  return keyCount(p) === 2 + reason + lastRun + durationMs;
}

/** metricSampleSchema. */
function sampleOk(s: unknown): boolean {
  if (!isPlain(s)) return false;
  if (!str(s.name, 200) || !finite(s.value)) return false;
  const labels = optional(s, 'labels');
  if (labels < 0 || (labels && !labelsOk(s.labels))) return false;
  return keyCount(s) === 2 + labels;
}

/** The `v` and `ts` every message carries. */
function baseOk(m: Rec): boolean {
  return int(m.v) && ts(m.ts);
}

/** metricsSchema. */
function metricsOk(m: Rec): boolean {
  if (!baseOk(m) || !(int(m.seq) && m.seq > 0)) return false;
  const samples = m.samples;
  if (!Array.isArray(samples) || samples.length > 50_000) return false;
  for (let i = 0; i < samples.length; i++) if (!sampleOk(samples[i])) return false;
  const probe = optional(m, 'probe');
  if (probe < 0 || (probe && !probeOk(m.probe))) return false;
  return keyCount(m) === 5 + probe;
}

/** heartbeatSchema (either direction). */
function heartbeatOk(m: Rec): boolean {
  return baseOk(m) && keyCount(m) === 3;
}

/** ackSchema. */
function ackOk(m: Rec): boolean {
  return baseOk(m) && int(m.seq) && m.seq >= 0 && keyCount(m) === 4;
}

/**
 * An agent's frame (already known to be a map with this protocol version and a known `type`):
 * the message when it is a metrics or heartbeat message that surely passes agentMessageSchema,
 * else undefined (run zod).
 */
export function fastAgentMessage(m: Rec): FastResult {
  if (!isPlain(m)) return undefined;
  if (m.type === 'metrics') return metricsOk(m) ? m : undefined;
  if (m.type === 'heartbeat') return heartbeatOk(m) ? m : undefined;
  return undefined;
}

/** The collector-side counterpart for ack and heartbeat frames (what every agent decodes most). */
export function fastCollectorMessage(m: Rec): FastResult {
  if (!isPlain(m)) return undefined;
  if (m.type === 'ack') return ackOk(m) ? m : undefined;
  if (m.type === 'heartbeat') return heartbeatOk(m) ? m : undefined;
  return undefined;
}

/** The fields each fast check knows, per message type: a test keeps them equal to the schemas' shapes. */
export const FAST_SHAPES = {
  metrics: ['v', 'ts', 'type', 'seq', 'probe', 'samples'],
  heartbeat: ['v', 'ts', 'type'],
  ack: ['v', 'ts', 'type', 'seq'],
  probe: ['name', 'status', 'reason', 'lastRun', 'durationMs'],
  sample: ['name', 'value', 'labels'],
} as const;
