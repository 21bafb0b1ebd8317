/** What a log line parser extracts from one line; every field optional. */
import type { TrainingPhase } from '../types.ts';

export interface ParsedLine {
  /** The format that recognised the line. */
  format: string;
  step?: number;
  /** Total steps, when the line says (tqdm's n/total, Megatron's iteration n/total). */
  total?: number;
  loss?: number;
  /** Time per step, ms. */
  stepMs?: number;
  tokens?: number;
  samples?: number;
  phase?: TrainingPhase;
  /** Megatron's "number of nan iterations". */
  nanIterations?: number;
  /** A rank named by a launcher prefix (`[rank3]:`). */
  rank?: number;
}

/** A pure line parser: one line (ANSI already stripped) in, a record or undefined out. */
export type LineParser = (line: string) => ParsedLine | undefined;

/** A number as logs print it: 1.23, 1.234E+00, 1,360, nan, inf. */
export function logNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim().replace(/,/g, '').toLowerCase();
  if (t === 'nan' || t === '-nan') return Number.NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** The regex fragment matching what logNumber accepts. */
export const NUM = '[-+]?(?:nan|inf|(?:\\d[\\d,]*\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)';
