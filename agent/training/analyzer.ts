/**
 * `keelson analyze` for training logs (Megatron, DeepSpeed, Hugging Face, tqdm, torchtitan,
 * torchrun and NCCL output): the loss and slowdown detectors over the parsed steps, the
 * diagnosis catalog over every line, a hang when a collective watchdog fired, and the exit of
 * the root-cause rank from torchrun's failure summary. Pure.
 */
import type { Observation } from '../../core/finding.ts';
import type { TextAnalyzer } from '../../probes/analyzer.ts';
import { detectExit } from './detectors/exit.ts';
import { detectLossFlat, detectLossNan, detectLossSpikes } from './detectors/loss.ts';
import { trainingObservation } from './detectors/observation.ts';
import { DEFAULT_DETECTOR_SETTINGS, type TrainingDetectorSettings } from './detectors/settings.ts';
import { detectSlow } from './detectors/slow.ts';
import { DiagnosisMatcher, diagnosisObservation, primaryDiagnosis, stripAnsi } from './diagnosis/match.ts';
import { parseTorchrunFailures } from './diagnosis/torchrun.ts';
import { JobState } from './job-state.ts';
import { LogStepAssembler, parseTrainingLine } from './log-parsers/index.ts';
import { jobComponent } from './types.ts';

/** Markers of training output that kernel logs and tool tables do not have. */
const TRAINING_RE =
  /\biteration\s+\d+\s*\/\s*\d+\s*\||\bstep:\s*\d+\s+loss:|^\s*\{'loss': |\d+%\|[^|]*\|\s*\d+\/\d+ \[|\bsteps: \d+ loss: |\bstep=\d+, skipped=|ProcessGroupNCCL|NCCL (?:WARN|INFO)|ncclSystemError|ncclInvalidUsage|ChildFailedError|torch\.distributed|OutOfMemoryError|CUDA (?:error|out of memory)|\[rank\d+\]:|Traceback \(most recent call last\)/m;

/** The job a capture is about: a Slurm job id when it names one, else "log". */
function jobOf(text: string): string {
  return /\bJOB (\d+) ON \S+ CANCELLED/.exec(text)?.[1] ?? /SLURM_JOB_ID=(\d+)/.exec(text)?.[1] ?? 'log';
}

/** Analyze a whole training log. `now` stands for the time of the capture. */
export function analyzeTrainingLog(
  text: string,
  now: number,
  settings: TrainingDetectorSettings = DEFAULT_DETECTOR_SETTINGS,
): Observation[] {
  const job = jobOf(text);
  const lines = text.split(/\n/);
  const state = new JobState(job, now);
  const asm = new LogStepAssembler(job);
  const matcher = new DiagnosisMatcher();
  // Captures carry no arrival times: place steps on a virtual clock from their own step times.
  let at = now;
  let lastStep = 0;
  for (const raw of lines) {
    for (const seg of raw.split('\r')) {
      const p = parseTrainingLine(seg);
      const r = p && asm.next(p);
      if (!r) continue;
      if (r.step > lastStep) at += (r.stepMs ?? 1000) * (lastStep === 0 ? 1 : r.step - lastStep);
      lastStep = Math.max(lastStep, r.step);
      state.add({ ...r, receivedAt: at, source: 'log' });
    }
    matcher.push(raw);
  }
  const v = state.view();
  const out: Observation[] = [];
  const ds = matcher.diagnoses();
  const hang = ds.find((d) => d.signature.impliesHang && !d.teardown);
  if (hang) {
    const last = v.progress[v.progress.length - 1];
    out.push(
      trainingObservation(
        'train.hang',
        jobComponent(job),
        `Job ${job}: a collective timed out (watchdog)${last ? ` after step ${last.step}` : ' (no step lines in the capture)'}${
          hang.ranks.length ? `; reported by rank ${hang.ranks.slice(0, 8).join(', ')}` : ''
        }`,
        hang.evidence,
      ),
    );
  }
  const failures = parseTorchrunFailures(lines.map(stripAnsi));
  const root = failures.find((f) => f.rootCause) ?? failures[0];
  if (root) {
    out.push(
      ...detectExit(
        {
          job,
          rank: root.rank,
          exitCode: root.exitCode,
          at: now,
          ...(root.pid !== undefined ? { pid: root.pid } : {}),
          ...(root.signal ? { signal: root.signal } : {}),
        },
        primaryDiagnosis(ds),
      ),
    );
  }
  out.push(...detectSlow(job, v.progress, settings.slow));
  out.push(...detectLossNan(job, v.losses, v.nanIterations));
  out.push(...detectLossSpikes(job, v.losses, 0, settings.loss));
  out.push(...detectLossFlat(job, v.losses, settings.loss));
  for (const d of ds) out.push(diagnosisObservation(job, d));
  return out;
}

/** The training-log analyzer (`keelson analyze --as training-log`). */
export const trainingAnalyzers: TextAnalyzer[] = [
  {
    kind: 'training-log',
    description:
      'training output: Megatron/DeepSpeed/Hugging Face/tqdm/torchtitan step lines, NCCL and PyTorch errors, torchrun failure summaries',
    input: 'text',
    sniff: (head) => TRAINING_RE.test(head),
    analyze: (text, now) => analyzeTrainingLog(text, now),
  },
];
