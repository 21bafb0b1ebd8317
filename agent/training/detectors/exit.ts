/**
 * Exit verdicts: a rank that exited non-zero or by a signal gives `train.exit`, carrying the
 * diagnosis of its last output lines; the diagnosis' action (drain for a broken GPU, none for
 * an out-of-memory) replaces the default restart. SIGTERM/SIGINT stops are info. Pure.
 */
import type { Observation } from '../../../core/finding.ts';
import type { Diagnosis } from '../diagnosis/match.ts';
import { jobComponent } from '../types.ts';
import { trainingObservation } from './observation.ts';

/** How a rank ended. `exitCode` negative = killed by that signal (torchrun's convention). */
export interface RankExit {
  job: string;
  rank?: number;
  pid?: number;
  exitCode: number | null;
  signal?: string;
  at: number;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  7: 'SIGBUS',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  15: 'SIGTERM',
};

/** The signal an exit stands for, from an explicit name, a negative code, or a shell's 128+n. */
export function exitSignal(e: Pick<RankExit, 'exitCode' | 'signal'>): string | undefined {
  if (e.signal) return e.signal;
  const c = e.exitCode;
  if (c === null) return undefined;
  if (c < 0) return SIGNALS[-c] ?? `signal ${-c}`;
  if (c > 128 && c < 160) return SIGNALS[c - 128] ?? `signal ${c - 128}`;
  return undefined;
}

/** `train.exit` for a failed exit (nothing for exit 0). `diagnosis` is the primary one of its output. */
export function detectExit(e: RankExit, diagnosis?: Diagnosis, lastLines: readonly string[] = []): Observation[] {
  if (e.exitCode === 0 && !e.signal) return [];
  const sig = exitSignal(e);
  const who = `${e.rank !== undefined ? `rank ${e.rank}` : 'a rank'}${e.pid !== undefined ? ` (pid ${e.pid})` : ''}`;
  const how = sig ? `was killed by ${sig}` : e.exitCode === null ? 'disappeared' : `exited with code ${e.exitCode}`;
  const stopped = sig === 'SIGTERM' || sig === 'SIGINT';
  const d = diagnosis?.signature;
  const message = `Job ${e.job}: ${who} ${how}${d ? `. Diagnosis: ${d.cause} Culprit: ${d.culprit}. ${d.suggestion}` : ''}`;
  const evidence = diagnosis?.evidence ?? lastLines.slice(-3).join(' | ') ?? '';
  if (stopped && !d)
    return [
      trainingObservation('train.exit', jobComponent(e.job), message, evidence, {
        severity: 'info',
        action: 'none',
        at: e.at,
      }),
    ];
  return [
    trainingObservation('train.exit', jobComponent(e.job), message, evidence || `exitCode=${e.exitCode}`, {
      at: e.at,
      ...(d
        ? { action: d.action === 'none' ? 'none' : d.action, severity: d.severity === 'fatal' ? 'fatal' : 'degraded' }
        : {}),
    }),
  ];
}
