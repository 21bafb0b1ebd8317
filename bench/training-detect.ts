/**
 * Training detectors benchmark (`node --import tsx bench/training-detect.ts`): prints JSON with
 * (1) hang detection latency in steps on synthetic runs (step time × jitter, default settings,
 * and with the floor lowered so the adaptive part shows), (2) slowdown and spike latency in
 * steps, and (3) false alarms when the real corpus training logs are replayed through the live
 * detectors on a virtual clock (their own timestamps or step times), ticking every 1/10 step.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DETECTOR_SETTINGS, type TrainingDetectorSettings } from '../agent/training/detectors/settings.ts';
import { LogStepAssembler, parseTrainingLine } from '../agent/training/log-parsers/index.ts';
import { TrainingMonitor } from '../agent/training/monitor.ts';
import { ManualClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../shared/corpus/training-logs');

/** Deterministic pseudo-random in [0,1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function monitor(clock: ManualClock, detectors: TrainingDetectorSettings): TrainingMonitor {
  return new TrainingMonitor({ nodeId: 'bench', clock, log: silentLogger(), detectors });
}

/** Steps at `ms` ± jitter, then silence: how many step times until train.hang (and false alarms before). */
function hangLatency(ms: number, jitter: number, detectors: TrainingDetectorSettings, seed: number) {
  const clock = new ManualClock(0);
  const m = monitor(clock, detectors);
  const r = rng(seed);
  let t = 0;
  let falseAlarms = 0;
  for (let s = 1; s <= 300; s++) {
    const next = t + ms * (1 + jitter * (2 * r() - 1));
    for (let k = 1; k <= 10; k++) {
      clock.set(t + ((next - t) * k) / 10);
      if (k < 10 && m.tick().some((o) => o.code === 'train.hang')) falseAlarms++;
    }
    t = next;
    m.addSample({ job: 'b', rank: 0, step: s, receivedAt: t, source: 'socket' });
  }
  for (let k = 1; ; k++) {
    clock.set(t + (ms * k) / 100);
    if (m.tick().some((o) => o.code === 'train.hang')) return { steps: +((ms * k) / 100 / ms).toFixed(2), falseAlarms };
  }
}

function slowLatency(ms: number, slowdown: number, outlierEvery: number) {
  const clock = new ManualClock(0);
  const m = monitor(clock, DEFAULT_DETECTOR_SETTINGS);
  const r = rng(7);
  let t = 0;
  let falseAlarms = 0;
  for (let s = 1; s <= 400; s++) {
    const slow = s > 200 ? 1 + slowdown : 1;
    const outlier = outlierEvery > 0 && s % outlierEvery === 0 ? 5 : 1;
    t += ms * slow * outlier * (1 + 0.05 * (2 * r() - 1));
    clock.set(t);
    m.addSample({ job: 'b', rank: 0, step: s, receivedAt: t, source: 'socket' });
    const hit = m.tick().some((o) => o.code === 'train.slow');
    if (hit && s <= 200) falseAlarms++;
    if (hit && s > 200) return { steps: s - 200, falseAlarms };
  }
  return { steps: null, falseAlarms };
}

const TS_RE = /(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)[,.](\d{3})/;

/** Replay a log through the live monitor: returns the alarms raised (codes) while it ran. */
function replay(text: string, detectors: TrainingDetectorSettings): { steps: number; alarms: string[] } {
  const clock = new ManualClock(0);
  const m = monitor(clock, detectors);
  const asm = new LogStepAssembler('replay');
  const alarms: string[] = [];
  let t = 0;
  let lastStep = 0;
  let steps = 0;
  for (const raw of text.split('\n')) {
    const ts = TS_RE.exec(raw);
    const p = parseTrainingLine(raw);
    const r = p && asm.next(p);
    if (!r) continue;
    let next = t;
    if (ts) next = Math.max(t, Date.parse(`${ts[1]}T${ts[2]}.${ts[3]}Z`) - Date.parse('2000-01-01T00:00:00Z'));
    else if (r.step > lastStep) next = t + (r.stepMs ?? 1000) * Math.max(1, r.step - lastStep);
    if (t === 0) t = next;
    for (let k = 1; k <= 10 && next > t; k++) {
      clock.set(t + ((next - t) * k) / 10);
      for (const o of m.tick()) if (/^train\.(hang|slow)$/.test(o.code)) alarms.push(o.code);
    }
    t = next;
    clock.set(t);
    if (r.step > lastStep) steps++;
    lastStep = Math.max(lastStep, r.step);
    m.addSample({ ...r, receivedAt: t, source: 'log' });
    for (const o of m.tick()) if (/^train\.(hang|slow|loss\.)/.test(o.code)) alarms.push(o.code);
  }
  return { steps, alarms };
}

const lowFloor = { ...DEFAULT_DETECTOR_SETTINGS, hang: { ...DEFAULT_DETECTOR_SETTINGS.hang, floorMs: 100 } };
const hang = [];
for (const ms of [200, 2000, 10_000, 60_000]) {
  for (const jitter of [0, 0.05, 0.2]) {
    const runs = [1, 2, 3].map((seed) => hangLatency(ms, jitter, lowFloor, seed));
    const dflt = hangLatency(ms, jitter, DEFAULT_DETECTOR_SETTINGS, 1);
    hang.push({
      stepMs: ms,
      jitter,
      latencySteps: Math.max(...runs.map((r) => r.steps)),
      falseAlarms: runs.reduce((a, r) => a + r.falseAlarms, 0),
      latencyStepsDefaultFloor60s: dflt.steps,
    });
  }
}

const healthy = new Set([
  'ezpz_hf-trainer_llama3.2-1b_fsdp_24xaurora_first-11-steps.log',
  'torchtitan_qwen3-14b_8xb200_every-step.log',
  'torchtitan_qwen3-14b_8xb200_healthy.log',
]);
const corpus = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .sort()
      .map((f) => {
        const text = readFileSync(path.join(CORPUS, f), 'utf8');
        const d = replay(text, DEFAULT_DETECTOR_SETTINGS);
        const tight = replay(text, lowFloor);
        return { file: f, healthy: healthy.has(f), steps: d.steps, alarms: d.alarms, alarmsFloor100ms: tight.alarms };
      })
  : [];

const full = {
  hang,
  slow: {
    slowdown30pct: slowLatency(1000, 0.3, 0),
    slowdown30pctWithOutlierEvery25: slowLatency(1000, 0.3, 25),
    slowdown10pctUnderThreshold: slowLatency(1000, 0.1, 0),
  },
  corpusReplay: corpus,
  healthyFalseAlarms: corpus.filter((c) => c.healthy).reduce((a, c) => a + c.alarms.length, 0),
  healthyFalseAlarmsFloor100ms: corpus.filter((c) => c.healthy).reduce((a, c) => a + c.alarmsFloor100ms.length, 0),
};
if (process.argv.includes('--json')) {
  // One line with the headline figures (bench/run-all.ts reads it); run without --json for the details.
  const lat = hang.map((h) => h.latencySteps);
  console.log(
    JSON.stringify({
      hangLatencyStepsMax: Math.max(...lat),
      hangLatencyStepsMin: Math.min(...lat),
      hangFalseAlarms: hang.reduce((a, h) => a + h.falseAlarms, 0),
      slow30pctSteps: full.slow.slowdown30pct.steps,
      slow10pctFlagged: full.slow.slowdown10pctUnderThreshold.steps !== null,
      healthyLogFalseAlarms: full.healthyFalseAlarms,
      goals: { hangLatencyStepsMax: '≤ 3', hangFalseAlarms: '≤ 0', healthyLogFalseAlarms: '≤ 0' },
    }),
  );
} else {
  console.log(JSON.stringify(full, null, 2));
}
