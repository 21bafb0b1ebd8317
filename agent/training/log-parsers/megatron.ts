/**
 * Megatron-LM / Megatron-DeepSpeed iteration lines, with or without a leading timestamp or a
 * launcher prefix: ` iteration  100/ 1000 | consumed samples: ... | elapsed time per iteration
 * (ms): 1623.5 | ... | lm loss: 8.08E+00 | ... | number of nan iterations: 0 |`. Pure.
 */
import { type LineParser, logNumber, NUM, type ParsedLine } from './types.ts';

const ITER_RE = /\biteration\s+(\d+)\s*\/\s*(\d+)\s*\|/;
const field = (name: string) => new RegExp(`\\|\\s*${name}\\s*:\\s*(${NUM})`, 'i');
const MS_RE = /elapsed time per iteration \((ms|s)\)\s*:\s*([\d.]+(?:[eE][-+]?\d+)?)/;
const LOSS_RE = field('lm loss');
const SAMPLES_RE = field('consumed samples');
const TOKENS_RE = field('consumed tokens');
const NAN_RE = field('number of nan iterations');

export const parseMegatronLine: LineParser = (line) => {
  const m = ITER_RE.exec(line);
  if (!m) return undefined;
  const out: ParsedLine = { format: 'megatron', step: Number(m[1]), total: Number(m[2]) };
  const ms = MS_RE.exec(line);
  if (ms) out.stepMs = Number(ms[2]) * (ms[1] === 's' ? 1000 : 1);
  const loss = logNumber(LOSS_RE.exec(line)?.[1]);
  if (loss !== undefined) out.loss = loss;
  const samples = logNumber(SAMPLES_RE.exec(line)?.[1]);
  if (samples !== undefined && Number.isFinite(samples)) out.samples = samples;
  const tokens = logNumber(TOKENS_RE.exec(line)?.[1]);
  if (tokens !== undefined && Number.isFinite(tokens)) out.tokens = tokens;
  const nan = logNumber(NAN_RE.exec(line)?.[1]);
  if (nan !== undefined && Number.isFinite(nan)) out.nanIterations = nan;
  return out;
};
