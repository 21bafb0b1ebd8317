/**
 * The checkpoint engine as the agent runs it on one node: the flush engine over the configured
 * tiers, the trainers' note socket, and the local commit (MANIFEST then LATEST on the last
 * tier). A step is committed only when every rank of the job is durable here, so a job that
 * spans nodes is committed by the collector instead (not wired yet): nothing incomplete is ever
 * reported complete.
 */
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { CommandRunner } from '../../probes/runner.ts';
import { type CheckpointConfig, noteSocketOf, tiersOf } from './config.ts';
import { FlushEngine } from './flush-engine.ts';
import { IoPriority } from './io-priority.ts';
import { LocalCommitter } from './local-commit.ts';
import { listenForNotes, skippedObservation } from './note-server.ts';

export interface CheckpointServiceOptions {
  config: CheckpointConfig;
  node: string;
  stateDir: string;
  clock: Clock;
  log: Logger;
  runner: CommandRunner;
  /** Events (a save skipped because its slot was busy). */
  onEvents: (obs: Observation[]) => void;
}

export class CheckpointService {
  private engine?: FlushEngine;
  private notes?: Server;

  constructor(private readonly o: CheckpointServiceOptions) {}

  async start(): Promise<void> {
    const tiers = tiersOf(this.o.config);
    const commitTier = tiers[tiers.length - 1]!;
    const committer = new LocalCommitter({
      commitTier,
      mirrorTiers: tiers.slice(0, -1),
      clock: this.o.clock,
      logger: this.o.log,
      onCommitted: (m) => this.engine?.recordCommit(m.job, m.step),
    });
    this.engine = new FlushEngine({
      node: this.o.node,
      shmRoot: this.o.config.shmRoot,
      tiers,
      journalPath: join(this.o.stateDir, 'ckpt-journal'),
      clock: this.o.clock,
      logger: this.o.log,
      concurrency: this.o.config.concurrency,
      bandwidthBytesPerSec: this.o.config.bandwidthBytesPerSec,
      keep: this.o.config.keep,
      ioPriority: new IoPriority(this.o.runner, this.o.log),
      onDurable: (r) => void committer.report(r),
    });
    await this.engine.start();
    this.notes = await listenForNotes(noteSocketOf(this.o.config, this.o.stateDir), (n) => {
      if (n.type === 'ckpt-saved') this.engine?.notify();
      else this.o.onEvents([skippedObservation(n, this.o.clock.now())]);
    });
  }

  /** Conditions that hold now (a tier paused). */
  observations(): Observation[] {
    return this.engine?.observations() ?? [];
  }

  /** Per tier: paused or not, and the flush in flight. */
  status() {
    return this.engine?.tierStatus() ?? [];
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.notes ? this.notes.close(() => r()) : r()));
    await this.engine?.stop();
  }
}
