/**
 * The checkpoint engine as the agent runs it on one node: the flush engine over the configured
 * tiers, the trainers' note socket, and the local commit (MANIFEST then LATEST on the last
 * tier). A step is committed only when every rank of the job is durable here, so a job that
 * spans nodes is committed by the collector instead (not wired yet): nothing incomplete is ever
 * reported complete.
 */
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { DurableReport } from '../../checkpoint-lib/commit.ts';
import type { GlobalManifest } from '../../checkpoint-lib/format.ts';
import type { Clock } from '../../core/clock.ts';
import type { Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { CommandRunner } from '../../probes/runner.ts';
import { type CheckpointConfig, noteSocketOf, tiersOf } from './config.ts';
import { FlushEngine } from './flush-engine.ts';
import { IoPriority } from './io-priority.ts';
import { LocalCommitter } from './local-commit.ts';
import { listenForNotes, skippedObservation } from './note-server.ts';
import { type PeerAddress, PeerReceiver } from './peer.ts';
import { buddyOf } from './peer-frames.ts';
import { PeerSender } from './peer-sender.ts';
import { type CkptState, checkpointStateView } from './state-view.ts';
import type { Tier } from './tier.ts';

export interface CheckpointServiceOptions {
  config: CheckpointConfig;
  node: string;
  stateDir: string;
  clock: Clock;
  log: Logger;
  runner: CommandRunner;
  /** Events (a save skipped because its slot was busy). */
  onEvents: (obs: Observation[]) => void;
  /** Hands a durable report to the collector when it commits across nodes; false: commit here. */
  remote?: (r: DurableReport) => boolean;
}

export class CheckpointService {
  private engine?: FlushEngine;
  private notes?: Server;
  private tiers: Tier[] = [];
  private committer?: LocalCommitter;
  private receiver?: PeerReceiver;
  private sender?: PeerSender;

  constructor(private readonly o: CheckpointServiceOptions) {}

  async start(): Promise<void> {
    const tiers = tiersOf(this.o.config);
    this.tiers = tiers;
    const commitTier = tiers[tiers.length - 1]!;
    const committer = new LocalCommitter({
      commitTier,
      mirrorTiers: tiers.slice(0, -1),
      clock: this.o.clock,
      logger: this.o.log,
      onCommitted: (m) => this.engine?.recordCommit(m.job, m.step),
    });
    this.committer = committer;
    const remote = this.o.remote;
    const durable = (r: DurableReport) => {
      if (!remote?.(r)) void committer.report(r);
    };
    const peer = this.o.config.peer;
    if (peer) {
      this.receiver = new PeerReceiver({
        root: join(this.o.config.shmRoot, '.peers'),
        budgetBytes: peer.budgetBytes,
        logger: this.o.log,
      });
      await this.receiver.listen({ host: peer.listenHost, port: peer.port });
      const buddy = buddyOf(Object.keys(peer.nodes), this.o.node, peer.mode);
      const address = buddy ? parseAddress(peer.nodes[buddy]!) : undefined;
      this.sender = new PeerSender(this.o.node, () => address, durable, this.o.log);
    }
    const sender = this.sender;
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
      onDurable: durable,
      ...(sender ? { onMemory: (slot, sums) => sender.offer(slot, sums) } : {}),
    });
    await this.engine.start();
    this.notes = await listenForNotes(noteSocketOf(this.o.config, this.o.stateDir), (n) => {
      if (n.type === 'ckpt-saved') this.engine?.notify();
      else this.o.onEvents([skippedObservation(n, this.o.clock.now())]);
    });
  }

  /** The collector committed a step: mirror its MANIFEST here and protect it from retention. */
  async remoteCommitted(m: GlobalManifest): Promise<void> {
    await this.committer?.recordRemoteCommit(m);
    await this.engine?.recordCommit(m.job, m.step);
  }

  /** Conditions that hold now (a tier paused, the buddy unreachable). */
  observations(): Observation[] {
    const peer = this.sender?.observation();
    return [...(this.engine?.observations() ?? []), ...(peer ? [peer] : [])];
  }

  /** This node's checkpoint state, as the collector's job view shows it. */
  async state(): Promise<CkptState> {
    const engine = this.engine;
    const steps = new Map<string, Map<string, number[]>>();
    const committed = new Map<string, number>();
    if (engine) {
      for (const t of this.tiers) {
        for (const job of await t.listJobs().catch(() => [] as string[])) {
          const m = steps.get(job) ?? new Map<string, number[]>();
          m.set(t.name, engine.durableSteps(t.name, job));
          steps.set(job, m);
        }
      }
      const commitTier = this.tiers[this.tiers.length - 1];
      for (const job of steps.keys()) {
        const latest = await commitTier?.readLatest(job).catch(() => undefined);
        if (latest) committed.set(job, latest.step);
      }
    }
    return checkpointStateView({
      tiers: (engine?.tierStatus() ?? []).map((s) => ({
        tier: s.tier,
        paused: s.paused,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.flight ? { flight: s.flight } : {}),
      })),
      steps,
      committed,
      peerCopies: (await this.receiver?.list().catch(() => [])) ?? [],
      replicated: replicatedSteps(this.sender?.acked),
      memoryBytes: 0,
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.notes ? this.notes.close(() => r()) : r()));
    await this.engine?.stop();
    await this.receiver?.close();
  }
}

/** `host:port` → a peer address. */
function parseAddress(hostPort: string): PeerAddress {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
}

/** Per job, the newest step the buddy acknowledged for every rank of this node (the least of them). */
function replicatedSteps(acked: ReadonlyMap<string, number> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, step] of acked ?? []) {
    const job = key.slice(0, key.lastIndexOf('/'));
    out.set(job, Math.min(out.get(job) ?? step, step));
  }
  return out;
}
