/**
 * torchtitan metric lines (ANSI colours already stripped):
 * `[rank0]:[titan] 2026-05-19 19:31:29,955 - root - INFO - step:  1  loss: 12.47929  grad_norm: 24.75  memory: 160.60GiB(90.05%)  tps: 1,360  tflops: 114.62  mfu: 5.09%`.
 * Pure.
 */
import { type LineParser, logNumber, NUM, type ParsedLine } from './types.ts';

const STEP_RE = new RegExp(`\\bstep:\\s*(\\d+)\\s+loss:\\s*(${NUM})`);

export const parseTorchtitanLine: LineParser = (line) => {
  const m = STEP_RE.exec(line);
  if (!m) return undefined;
  const out: ParsedLine = { format: 'torchtitan', step: Number(m[1]) };
  const loss = logNumber(m[2]);
  if (loss !== undefined) out.loss = loss;
  return out;
};
