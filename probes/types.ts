/**
 * The contract every probe keeps. A probe is a thin `read` (commands through the injected
 * runner, files below the injected roots) feeding a pure `parse` and pure `rules`.
 * "Is it supported here?" is asked apart from "is it healthy?".
 */
import type { Clock } from '../core/clock.ts';
import type { Observation } from '../core/finding.ts';
import type { CommandRunner } from './runner.ts';

/** Where a probe reads files from; tests point these at fixture trees. */
export interface ProbeRoots {
  /** Usually `/sys`. */
  sys: string;
  /** Usually `/proc`. */
  proc: string;
  /** Usually `/dev`. */
  dev: string;
}

/** Named defaults every probe declares; config may override them per probe. */
export interface ProbeDefaults {
  /** Seconds between scheduled runs. */
  intervalSec: number;
  /** The run is abandoned (and reported) after this long. */
  timeoutMs: number;
  /** Commands the probe runs are killed past this many bytes of output. */
  outputCapBytes: number;
}

/** What a probe is given for one call. */
export interface ProbeContext {
  runner: CommandRunner;
  roots: ProbeRoots;
  clock: Clock;
  /** Aborted when the run times out or the agent stops. */
  signal: AbortSignal;
  /** The probe's own settings from the agent config (already validated by the probe). */
  settings: Record<string, unknown>;
  /** The effective limits for this run (config overrides of the probe's defaults); absent in some tests. */
  limits?: Pick<ProbeDefaults, 'timeoutMs' | 'outputCapBytes'>;
}

/** The limits a run should respect: the context's effective ones, else the probe's defaults. */
export function limitsOf(ctx: ProbeContext, defaults: ProbeDefaults): ProbeDefaults {
  return ctx.limits ? { ...defaults, ...ctx.limits } : defaults;
}

/** Answer to "can this probe run on this host?" */
export type Support = { supported: true } | { supported: false; reason: string };

/** A numeric sample a probe exports (goes to /metrics and the collector). */
export interface MetricSample {
  /** Prometheus-style name without the `keelson_` prefix, e.g. `host_memory_used_ratio`. */
  name: string;
  value: number;
  labels?: Record<string, string>;
}

/** The result of one run: observations for the health state, samples, and facts (versions...). */
export interface ProbeResult {
  observations: Observation[];
  metrics: MetricSample[];
  facts?: Record<string, string>;
}

/** A probe, as listed in the registry. `State` is what `rules` needs from the previous run. */
export interface Probe<State = unknown> {
  readonly name: string;
  readonly defaults: ProbeDefaults;
  isSupported(ctx: ProbeContext): Promise<Support>;
  /** One run; `previous` is what the last successful run returned as `state`. */
  run(ctx: ProbeContext, previous: State | undefined): Promise<ProbeResult & { state?: State }>;
}
