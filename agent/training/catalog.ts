/**
 * Every finding code the training monitor emits on the agent, with severity, action, kind and
 * meaning; the diagnosis codes (`train.diag.*`) come from the diagnosis catalog.
 */
import type { CatalogEntry } from '../../core/catalog.ts';
import type { Action, FindingKind, Severity } from '../../core/finding.ts';
import { DIAGNOSIS_SIGNATURES } from './diagnosis/catalog.ts';

const row = (code: string, severity: Severity, action: Action, kind: FindingKind, meaning: string): CatalogEntry => ({
  code,
  severity,
  action,
  kind,
  meaning,
});

/** The detector codes. */
export const trainingDetectorCatalog: readonly CatalogEntry[] = [
  row(
    'train.hang',
    'degraded',
    'restart-job',
    'condition',
    'No step progress for longer than the adaptive timeout: k × a high quantile of recent step intervals, with a floor; warm-up, declared eval/checkpoint phases and learned periodic pauses get grace. Clears when steps advance again. From a log, a collective watchdog timeout also gives it.',
  ),
  row(
    'train.slow',
    'warn',
    'none',
    'condition',
    "The median step time over the recent window is ≥ threshold (default 20%) above the job's own best window median; a single slow step never alerts.",
  ),
  row(
    'train.loss.nan',
    'degraded',
    'restart-job',
    'condition',
    'The latest loss is NaN or infinite (or Megatron counted NaN iterations); restart from the last good checkpoint.',
  ),
  row(
    'train.loss.spike',
    'warn',
    'none',
    'event',
    'A loss far above the recent ones (robust z-score over the window, and a minimum relative rise; early in a run, a jump to ≥ 2× the median so far).',
  ),
  row(
    'train.loss.flat',
    'warn',
    'none',
    'condition',
    'The loss has not moved (within a relative tolerance) for N consecutive reports: the job may be running empty.',
  ),
  row(
    'train.exit',
    'degraded',
    'restart-job',
    'event',
    'A rank exited non-zero or was killed by a signal; the message carries the diagnosis of its last output lines, whose culprit sets the action. A stop by SIGTERM/SIGINT is info.',
  ),
];

/** Detector codes plus one row per diagnosis signature. */
export const trainingCatalog: readonly CatalogEntry[] = [
  ...trainingDetectorCatalog,
  ...DIAGNOSIS_SIGNATURES.map((s) =>
    row(s.code, s.severity, s.action, 'event', `${s.cause} Culprit: ${s.culprit}. ${s.suggestion}`),
  ),
];
