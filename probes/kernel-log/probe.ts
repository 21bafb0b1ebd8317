/**
 * The kernel-log probe. It is event-driven: `createKernelLogWatcher` follows the kernel log
 * (/dev/kmsg, else journalctl, else dmesg polling) and hands observations to a callback as lines
 * arrive; the probe made by `createKernelLogProbe` reports what is still open (flapping links)
 * and the reader's health.
 */
import path from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { describeError } from '../../core/errors.ts';
import type { Observation } from '../../core/finding.ts';
import type { CommandRunner } from '../runner.ts';
import { processRunner } from '../runner.ts';
import type { Probe, ProbeDefaults, ProbeResult, ProbeRoots } from '../types.ts';
import { catalogEntry } from './catalog.ts';
import type { KernelLine } from './parse.ts';
import {
  canRead,
  DmesgPoller,
  type FollowerHealth,
  JournalFollower,
  KmsgFollower,
  readBootId,
  readUptimeSec,
} from './read.ts';
import { ingestLine, newKernelLogState, openConditions } from './rules.ts';
import { type KernelLogSettings, parseKernelLogSettings } from './settings.ts';

/** Named defaults of the kernel-log probe (run() is cheap: it only reports the watcher's state). */
export const KERNEL_LOG_DEFAULTS: ProbeDefaults = {
  intervalSec: 30,
  timeoutMs: 10_000,
  outputCapBytes: 8 * 1024 * 1024,
};

export interface KernelLogWatcherOptions {
  roots: ProbeRoots;
  /** Where /dev/kmsg's last seq is kept between agent restarts. */
  statePath?: string;
  clock: Clock;
  /** Raw probe settings (validated here). */
  settings?: Record<string, unknown>;
  /** Called with new observations (copies; safe to keep). */
  onObservations: (obs: Observation[]) => void;
  /** Runner for the dmesg fallback (defaults to the real one). */
  runner?: CommandRunner;
  /** Called when a source fails after starting. */
  onError?: (err: Error) => void;
  /** Journal follower command, for tests. */
  journalCommand?: { command: string; args: readonly string[] };
}

type Follower = KmsgFollower | JournalFollower | DmesgPoller;

/** A running kernel-log watcher. */
export interface KernelLogWatcher {
  /** Pick the first readable source and start following it; never throws (health says what failed). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Conditions still open at the clock's now (e.g. flapping links). */
  openConditions(): Observation[];
  /** The source in use (`kmsg`, `journal`, `dmesg`) or `none`. */
  source(): 'kmsg' | 'journal' | 'dmesg' | 'none';
  health(): FollowerHealth | undefined;
  /** Why each source that was tried could not be used. */
  failures(): string[];
  readonly settings: KernelLogSettings;
}

/** Create (not start) a watcher; bind a probe to it with `createKernelLogProbe(() => watcher)`. */
export function createKernelLogWatcher(opts: KernelLogWatcherOptions): KernelLogWatcher {
  const settings = parseKernelLogSettings(opts.settings);
  const state = newKernelLogState();
  const runner = opts.runner ?? processRunner;
  let follower: Follower | undefined;
  let bootId: string | undefined;
  let bootTimeMs: number | undefined;
  const failures: string[] = [];

  const onLines = (lines: KernelLine[]) => {
    const now = opts.clock.now();
    const found: Observation[] = [];
    for (const line of lines) {
      for (const o of ingestLine(state, line, {
        now,
        settings,
        ...(bootId !== undefined ? { bootId: line.bootId ?? bootId } : {}),
        ...(bootTimeMs !== undefined ? { bootTimeMs } : {}),
      })) {
        found.push({ ...o });
      }
    }
    if (found.length > 0) opts.onObservations(found);
  };
  const onError = (err: Error) => opts.onError?.(err);

  const tryKmsg = async (): Promise<Follower | undefined> => {
    const f = new KmsgFollower({
      path: path.join(opts.roots.dev, 'kmsg'),
      procRoot: opts.roots.proc,
      ...(opts.statePath !== undefined ? { statePath: opts.statePath } : {}),
      onLines,
      onError,
    });
    try {
      await f.start();
      return f;
    } catch (err) {
      failures.push(`kmsg: ${describeError(err)}`);
      return undefined;
    }
  };
  const tryJournal = async (): Promise<Follower | undefined> => {
    const f = new JournalFollower({ onLines, onError, ...(opts.journalCommand ?? {}) });
    try {
      await f.start();
      return f;
    } catch (err) {
      failures.push(`journal: ${describeError(err)}`);
      return undefined;
    }
  };
  const tryDmesg = async (uptime: number | undefined): Promise<Follower | undefined> => {
    const f = new DmesgPoller({
      runner,
      onLines,
      onError,
      intervalMs: settings.dmesgPollSec * 1000,
      timeoutMs: KERNEL_LOG_DEFAULTS.timeoutMs,
      outputCapBytes: KERNEL_LOG_DEFAULTS.outputCapBytes,
      ...(uptime !== undefined ? { sinceMonotonicUs: uptime * 1e6 } : {}),
      ...(bootId !== undefined ? { bootId } : {}),
    });
    try {
      await f.start();
      return f;
    } catch (err) {
      failures.push(`dmesg: ${describeError(err)}`);
      return undefined;
    }
  };

  const watcher: KernelLogWatcher = {
    settings,
    async start() {
      bootId = await readBootId(opts.roots.proc);
      const uptime = await readUptimeSec(opts.roots.proc);
      if (uptime !== undefined) bootTimeMs = opts.clock.now() - uptime * 1000;
      const want = settings.source;
      if (!follower && (want === 'auto' || want === 'kmsg')) follower = await tryKmsg();
      if (!follower && (want === 'auto' || want === 'journal')) follower = await tryJournal();
      if (!follower && (want === 'auto' || want === 'dmesg')) follower = await tryDmesg(uptime);
    },
    async stop() {
      await follower?.close();
    },
    openConditions() {
      const now = opts.clock.now();
      const out = openConditions(state, now, settings);
      const h = follower?.health();
      if (!follower || h?.state === 'failed') {
        const e = catalogEntry('kernel.log.unreadable');
        out.push({
          code: e.code,
          component: 'probe:kernel-log',
          severity: e.severity,
          action: e.action,
          kind: e.kind,
          message: follower ? `kernel-log source ${h?.source} failed` : 'no kernel-log source could be read',
          evidence: (h?.lastError ?? failures.join('; ')).slice(0, 1024),
        });
      }
      return out;
    },
    source: () => follower?.health().source ?? 'none',
    health: () => follower?.health(),
    failures: () => [...failures],
  };
  return watcher;
}

/** A Probe reporting on one watcher: open conditions, reader health as facts, line counters as metrics. */
export function createKernelLogProbe(getWatcher: () => KernelLogWatcher | undefined): Probe {
  return {
    name: 'kernel-log',
    defaults: KERNEL_LOG_DEFAULTS,
    async isSupported(ctx) {
      if (await canRead(path.join(ctx.roots.dev, 'kmsg'))) return { supported: true };
      const opts = { timeoutMs: KERNEL_LOG_DEFAULTS.timeoutMs, outputCapBytes: 65_536, signal: ctx.signal };
      try {
        await ctx.runner.run('journalctl', ['--version'], opts);
        return { supported: true };
      } catch {
        // fall through to dmesg
      }
      try {
        const out = await ctx.runner.run('dmesg', ['--raw'], {
          ...opts,
          outputCapBytes: KERNEL_LOG_DEFAULTS.outputCapBytes,
        });
        if (out.stdout.trim() !== '') return { supported: true };
      } catch {
        // nothing readable
      }
      return { supported: false, reason: 'neither /dev/kmsg, journalctl nor dmesg can be read' };
    },
    async run(): Promise<ProbeResult> {
      const w = getWatcher();
      if (!w) return { observations: [], metrics: [], facts: { 'kernel-log.source': 'not-started' } };
      const h = w.health();
      const facts: Record<string, string> = {
        'kernel-log.source': w.source(),
        'kernel-log.state': h?.state ?? 'none',
      };
      if (h?.lastError) facts['kernel-log.error'] = h.lastError;
      if (!h && w.failures().length > 0) facts['kernel-log.error'] = w.failures().join('; ');
      const labels = { source: w.source() };
      return {
        observations: w.openConditions(),
        metrics: [
          { name: 'kernel_log_lines_total', value: h?.lines ?? 0, labels },
          { name: 'kernel_log_skipped_total', value: h?.skipped ?? 0, labels },
          { name: 'kernel_log_overwritten_total', value: h?.overwritten ?? 0, labels },
        ],
        facts,
      };
    },
  };
}
