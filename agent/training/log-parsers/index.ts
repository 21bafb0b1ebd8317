/**
 * The built-in training-log parsers in one explicit list, phase markers (eval, checkpoint,
 * training done) and LogStepAssembler, which turns parsed lines into rank reports: it gives
 * step-less losses (Hugging Face dicts) the latest step, follows only the main tqdm bar, and
 * reads the rank from a launcher prefix. Pure (time is passed in).
 */
import { stripAnsi } from '../diagnosis/match.ts';
import type { TrainingPhase, TrainingSample } from '../types.ts';
import { parseDeepSpeedLine } from './deepspeed.ts';
import { parseHfTrainerLine } from './hf-trainer.ts';
import { parseMegatronLine } from './megatron.ts';
import { parseTorchtitanLine } from './torchtitan.ts';
import { parseTqdmLine } from './tqdm.ts';
import type { LineParser, ParsedLine } from './types.ts';

export type { LineParser, ParsedLine } from './types.ts';

/** Built-in formats, tried in this order. */
export const LOG_FORMATS = ['megatron', 'torchtitan', 'deepspeed', 'hf-trainer', 'tqdm'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const PARSERS: Record<LogFormat, LineParser> = {
  megatron: parseMegatronLine,
  torchtitan: parseTorchtitanLine,
  deepspeed: parseDeepSpeedLine,
  'hf-trainer': parseHfTrainerLine,
  tqdm: parseTqdmLine,
};

const PHASE_MARKERS: [RegExp, TrainingPhase][] = [
  [/successfully saved checkpoint|Finished saving (?:the )?checkpoint|checkpoint saved in/i, 'train'],
  [/saving checkpoint at iteration|Saving (?:the )?checkpoint|Saving model checkpoint to/i, 'checkpoint'],
  [/validation loss at iteration|\beval_loss\b/i, 'train'],
  [/\*\*\*\*\* Running Evaluation \*\*\*\*\*|Starting validation|Running validation/i, 'eval'],
  [/Training completed|Training finished|\btrain_runtime\b/i, 'idle'],
];

const RANK_PREFIX_RE = /^\[rank(\d{1,7})\]:/;

/** Parse one raw line (ANSI stripped here) with the given parsers; undefined when nothing matches. */
export function parseTrainingLine(
  raw: string,
  parsers: readonly LineParser[] = Object.values(PARSERS),
): ParsedLine | undefined {
  const line = stripAnsi(raw.length > 16_384 ? raw.slice(0, 16_384) : raw);
  let out: ParsedLine | undefined;
  for (const p of parsers) {
    out = p(line);
    if (out) break;
  }
  const phase = out?.phase ?? PHASE_MARKERS.find(([re]) => re.test(line))?.[1];
  if (!out && phase === undefined) return undefined;
  const res: ParsedLine = out ?? { format: 'phase' };
  if (phase !== undefined) res.phase = phase;
  const rank = RANK_PREFIX_RE.exec(line)?.[1];
  if (rank !== undefined) res.rank = Number(rank);
  return res;
}

/** The parsers for a configured list of formats (all built-ins when none are named). */
export function parsersFor(formats?: readonly LogFormat[], extra: readonly LineParser[] = []): LineParser[] {
  return [...extra, ...(formats ?? LOG_FORMATS).map((f) => PARSERS[f])];
}

/** Turns a stream of parsed lines from one log into rank reports for one job. */
export class LogStepAssembler {
  private lastStep = 0;
  private mainTotal: number | undefined;

  constructor(
    private readonly job: string,
    private readonly defaults: { rank?: number; node?: string } = {},
  ) {}

  /** A report for this line, or undefined when the line carries nothing to report. */
  next(p: ParsedLine): Omit<TrainingSample, 'receivedAt' | 'source'> | undefined {
    if (p.format === 'tqdm' && p.total !== undefined) {
      // Evaluation bars have their own totals; follow the first (training) bar only.
      this.mainTotal ??= p.total;
      if (p.total !== this.mainTotal) return undefined;
    }
    const step = p.step ?? this.lastStep;
    if (p.step !== undefined && p.step < this.lastStep && p.format === 'tqdm') return undefined;
    if (p.step === undefined && p.loss === undefined && p.phase === undefined) return undefined;
    this.lastStep = Math.max(this.lastStep, step);
    const r: Omit<TrainingSample, 'receivedAt' | 'source'> = {
      job: this.job,
      rank: p.rank ?? this.defaults.rank ?? 0,
      step,
    };
    if (this.defaults.node) r.node = this.defaults.node;
    if (p.loss !== undefined) r.loss = p.loss;
    if (p.stepMs !== undefined) r.stepMs = p.stepMs;
    if (p.tokens !== undefined) r.tokens = p.tokens;
    if (p.samples !== undefined) r.samples = p.samples;
    if (p.phase !== undefined) r.phase = p.phase;
    if (p.nanIterations !== undefined) r.nanIterations = p.nanIterations;
    return r;
  }
}
