/**
 * DeepSpeed step and timer lines:
 *   `[Rank 0] step=100, skipped=0, lr=[1e-4], mom=[(0.9, 0.999)]` (log_dist every steps_per_print),
 *   `steps: 100 loss: 2.3456 iter time (s): 0.512 samples/sec: 31.250` (engine timers),
 *   `epoch=0/micro_step=800/global_step=100, RunningAvgSamplesPerSec=..., CurrSamplesPerSec=...`.
 * Pure.
 */
import { type LineParser, logNumber, NUM, type ParsedLine } from './types.ts';

const STEP_RE = /\bstep=(\d+), skipped=(\d+)/;
const STEPS_RE = new RegExp(
  `\\bsteps: (\\d+) loss: (${NUM})(?: iter time \\(s\\): ([\\d.]+))?(?: samples/sec: ([\\d.]+))?`,
);
const THROUGHPUT_RE = /global_step=(\d+), RunningAvgSamplesPerSec=([\d.]+), CurrSamplesPerSec=([\d.]+)/;

export const parseDeepSpeedLine: LineParser = (line) => {
  const s = STEPS_RE.exec(line);
  if (s) {
    const out: ParsedLine = { format: 'deepspeed', step: Number(s[1]) };
    const loss = logNumber(s[2]);
    if (loss !== undefined) out.loss = loss;
    if (s[3]) out.stepMs = Number(s[3]) * 1000;
    return out;
  }
  const st = STEP_RE.exec(line);
  if (st) return { format: 'deepspeed', step: Number(st[1]) };
  const t = THROUGHPUT_RE.exec(line);
  if (t) return { format: 'deepspeed', step: Number(t[1]) };
  return undefined;
};
