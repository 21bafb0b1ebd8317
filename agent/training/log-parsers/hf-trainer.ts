/**
 * Hugging Face Trainer log dicts, printed once per logging step:
 * `{'loss': 2.5586, 'grad_norm': 6.84, 'learning_rate': 5e-05, 'epoch': 0.01, 'num_input_tokens_seen': 196608}`.
 * They carry no step number (the tqdm bar does). An `eval_loss` dict marks the end of an
 * evaluation; the final `train_runtime` summary marks the end of training. Pure.
 */
import { type LineParser, logNumber, NUM, type ParsedLine } from './types.ts';

const DICT_RE = /^\s*\{'[a-z_]+': .*\}\s*$/;
const key = (k: string) => new RegExp(`'${k}':\\s*(${NUM})`);
const LOSS_RE = key('loss');
const TOKENS_RE = key('num_input_tokens_seen');
const STEP_RE = key('step');

export const parseHfTrainerLine: LineParser = (line) => {
  if (!DICT_RE.test(line)) return undefined;
  if (/'eval_loss':/.test(line)) return { format: 'hf-trainer', phase: 'train' };
  if (/'train_runtime':/.test(line) && !LOSS_RE.test(line)) return { format: 'hf-trainer', phase: 'idle' };
  const loss = logNumber(LOSS_RE.exec(line)?.[1]);
  if (loss === undefined) return undefined;
  const out: ParsedLine = { format: 'hf-trainer', loss };
  const tokens = logNumber(TOKENS_RE.exec(line)?.[1]);
  if (tokens !== undefined && Number.isFinite(tokens)) out.tokens = tokens;
  const step = logNumber(STEP_RE.exec(line)?.[1]);
  if (step !== undefined && Number.isInteger(step) && step >= 0) out.step = step;
  return out;
};
