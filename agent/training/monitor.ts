/**
 * TrainingMonitor: the thin shell that joins the ingest socket, log tailers and process watch
 * to the pure detectors on a timer. Every tick it hands the complete current set of training
 * observations to `onObservations` (conditions while they hold, events once), like a probe run,
 * so the agent can apply it with `health.applyRun('training', obs, now)`.
 */
import type { Clock } from '../../core/clock.ts';
import type { Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import { detectExit } from './detectors/exit.ts';
import { detectHang, hangTimeout } from './detectors/hang.ts';
import { detectLossFlat, detectLossNan, detectLossSpikes } from './detectors/loss.ts';
import { DEFAULT_DETECTOR_SETTINGS, type TrainingDetectorSettings } from './detectors/settings.ts';
import { detectSlow } from './detectors/slow.ts';
import { DiagnosisMatcher, diagnosisObservation } from './diagnosis/match.ts';
import { IngestServer, type IngestStats } from './ingest-server.ts';
import { JobState } from './job-state.ts';
import { type LogFormat, LogStepAssembler, parsersFor, parseTrainingLine } from './log-parsers/index.ts';
import { userRegexParser } from './log-parsers/user-regex.ts';
import { LogTail, type LogTailState } from './log-tail.ts';
import { type ProcessTarget, ProcessWatch } from './process-watch.ts';
import { summarizeJob, type TrainingSummary } from './summary.ts';
import type { TrainingSample } from './types.ts';

/** One log file to follow for a job. */
export interface TrainingLogSource {
  path: string;
  job: string;
  /** Built-in formats to try (all when absent). */
  formats?: LogFormat[];
  /** A user regex with named groups step/loss, tried first. */
  regex?: string;
  rank?: number;
  startAt?: 'end' | 'start';
}

export interface TrainingMonitorOptions {
  nodeId: string;
  socketPath?: string;
  udpPort?: number;
  /** Localhost TCP port for the same NDJSON reports. */
  tcpPort?: number;
  logs?: TrainingLogSource[];
  processes?: ProcessTarget[];
  procRoot?: string;
  detectors?: TrainingDetectorSettings;
  /** How often detectors run, ms. */
  tickMs?: number;
  /** Log poll interval, ms. */
  logPollMs?: number;
  /** Step times in the collector summary's median. */
  summaryWindow?: number;
  /** Jobs that ended or went idle are forgotten after this long, ms; others after staleJobMs. */
  endedJobTtlMs?: number;
  staleJobMs?: number;
  clock: Clock;
  log: Logger;
  onObservations?: (obs: Observation[]) => void;
}

interface JobEntry {
  state: JobState;
  lossCursor: number;
  ended: boolean;
  endedAt?: number;
  hung: boolean;
  /** Events waiting for the next tick (diagnoses, exits, loss spikes). */
  events: Observation[];
}

interface LogEntry {
  source: TrainingLogSource;
  tail: LogTail;
  assembler: LogStepAssembler;
  matcher: DiagnosisMatcher;
  resets: number;
  parsers: ReturnType<typeof parsersFor>;
}

export class TrainingMonitor {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly logs: LogEntry[] = [];
  private ingest: IngestServer | undefined;
  private readonly watch: ProcessWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly settings: TrainingDetectorSettings;
  private last: Observation[] = [];

  constructor(private readonly o: TrainingMonitorOptions) {
    this.settings = o.detectors ?? DEFAULT_DETECTOR_SETTINGS;
    if (o.processes?.length) {
      this.watch = new ProcessWatch({
        procRoot: o.procRoot ?? '/proc',
        clock: o.clock,
        targets: o.processes,
        excludePids: [process.pid],
      });
    }
    for (const source of o.logs ?? []) {
      const extra = source.regex ? [userRegexParser(source.regex)] : [];
      const entry: LogEntry = {
        source,
        assembler: new LogStepAssembler(source.job, { rank: source.rank ?? 0, node: o.nodeId }),
        matcher: new DiagnosisMatcher(),
        resets: 0,
        parsers: parsersFor(source.formats, extra),
        tail: new LogTail({
          path: source.path,
          pollMs: o.logPollMs ?? 500,
          ...(source.startAt ? { startAt: source.startAt } : {}),
          onLines: (lines) => this.logLines(entry, lines),
          onError: (err) => o.log.warn({ err, path: source.path }, 'training log tail failed'),
        }),
      };
      this.logs.push(entry);
    }
  }

  /** Open the socket(s), start tailing, start the detector timer. */
  async start(): Promise<void> {
    if (this.o.socketPath || this.o.udpPort !== undefined || this.o.tcpPort !== undefined) {
      this.ingest = new IngestServer({
        ...(this.o.socketPath ? { socketPath: this.o.socketPath } : {}),
        ...(this.o.udpPort !== undefined ? { udpPort: this.o.udpPort } : {}),
        ...(this.o.tcpPort !== undefined ? { tcpPort: this.o.tcpPort } : {}),
        clock: this.o.clock,
        log: this.o.log,
        onSample: (s) => this.addSample(s),
      });
      await this.ingest.start();
    }
    for (const l of this.logs) l.tail.start();
    this.timer = setInterval(() => void this.runTick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.logs.map((l) => l.tail.stop()));
    await this.ingest?.stop();
    this.ingest = undefined;
  }

  /** The UDP port bound, when UDP is on. */
  get tcpPort(): number | undefined {
    return this.ingest?.tcpPort;
  }

  get udpPort(): number | undefined {
    return this.ingest?.udpPort;
  }

  /** Feed one validated sample (the ingest server and log tailers call this; tests may too). */
  addSample(s: TrainingSample): void {
    let j = this.jobs.get(s.job);
    if (!j) {
      j = { state: new JobState(s.job, s.receivedAt), lossCursor: 0, ended: false, hung: false, events: [] };
      this.jobs.set(s.job, j);
    }
    if (j.ended && s.phase !== 'idle') {
      j.ended = false;
      delete j.endedAt;
    }
    j.state.add(s);
  }

  private job(name: string, now: number): JobEntry {
    let j = this.jobs.get(name);
    if (!j) {
      j = { state: new JobState(name, now), lossCursor: 0, ended: false, hung: false, events: [] };
      this.jobs.set(name, j);
    }
    return j;
  }

  private logLines(entry: LogEntry, lines: string[]): void {
    const st = entry.tail.state;
    if (st.rotations + st.truncations !== entry.resets) {
      // A new file: a new run, so diagnoses start over.
      entry.resets = st.rotations + st.truncations;
      entry.matcher = new DiagnosisMatcher();
    }
    const now = this.o.clock.now();
    for (const line of lines) {
      for (const seg of line.split('\r')) {
        const p = parseTrainingLine(seg, entry.parsers);
        const r = p && entry.assembler.next(p);
        if (r) this.addSample({ ...r, receivedAt: now, source: 'log' });
      }
      const d = entry.matcher.push(line);
      if (d) this.job(entry.source.job, now).events.push(diagnosisObservation(entry.source.job, d, now));
    }
  }

  private async runTick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (this.watch) {
        const now = this.o.clock.now();
        for (const ev of await this.watch.poll(now)) {
          const j = this.job(ev.exit.job, now);
          j.events.push(...detectExit(ev.exit, ev.diagnosis, ev.lastLines));
          if (ev.diagnosis) j.events.push(diagnosisObservation(ev.exit.job, ev.diagnosis, now));
          j.ended = true;
          j.endedAt = now;
        }
      }
      const obs = this.tick();
      this.o.onObservations?.(obs);
    } catch (err) {
      this.o.log.warn({ err }, 'training monitor tick failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Run every detector once at the clock's now; returns the complete current observation set. */
  tick(): Observation[] {
    const now = this.o.clock.now();
    const out: Observation[] = [];
    const s = this.settings;
    for (const [name, j] of this.jobs) {
      const v = j.state.view();
      const ttl = j.ended || v.phase === 'idle' ? (this.o.endedJobTtlMs ?? 600_000) : (this.o.staleJobMs ?? 86_400_000);
      if (now - Math.max(v.lastHeardAt, j.endedAt ?? 0) > ttl && j.events.length === 0) {
        this.jobs.delete(name);
        continue;
      }
      out.push(...j.events.splice(0));
      if (!j.ended) {
        const hang = detectHang(v, now, s.hang);
        j.hung = hang.length > 0;
        out.push(...hang, ...detectSlow(name, v.progress, s.slow));
      } else {
        j.hung = false;
      }
      out.push(...detectLossNan(name, v.losses, v.nanIterations));
      out.push(...detectLossSpikes(name, v.losses, j.lossCursor, s.loss));
      j.lossCursor = v.losses[v.losses.length - 1]?.seq ?? j.lossCursor;
      out.push(...detectLossFlat(name, v.losses, s.loss));
    }
    this.last = out;
    return out;
  }

  /** Per-job summaries to stream to the collector (one `training` message each). */
  samplesForCollector(): TrainingSummary[] {
    return [...this.jobs.values()].map((j) =>
      summarizeJob(this.o.nodeId, j.state.view(), this.o.summaryWindow ?? 20, j.hung),
    );
  }

  /** What the local API shows at GET /training (or /jobs). */
  jobsView(): {
    jobs: (TrainingSummary & { hangTimeoutMs: number; hangBasis: string; ended: boolean; findings: string[] })[];
    ingest?: IngestStats;
    logs: LogTailState[];
    processes: { job: string; pid: number; rank?: number; cmd: string }[];
  } {
    const jobs = [...this.jobs.entries()].map(([name, j]) => {
      const v = j.state.view();
      const t = hangTimeout(v, this.settings.hang);
      return {
        ...summarizeJob(this.o.nodeId, v, this.o.summaryWindow ?? 20, j.hung),
        hangTimeoutMs: Math.round(t.timeoutMs),
        hangBasis: t.basis,
        ended: j.ended,
        findings: this.last
          .filter((o) => o.component === `job:${name}` || o.component.startsWith(`job:${name}/`))
          .map((o) => o.code),
      };
    });
    return {
      jobs,
      ...(this.ingest ? { ingest: { ...this.ingest.stats } } : {}),
      logs: this.logs.map((l) => ({ ...l.tail.state })),
      processes: this.watch?.processes() ?? [],
    };
  }
}
