/**
 * The agent's staged flush: shm slots → tier 1 (local NVMe) → tier 2 (parallel storage) → …
 * Stage "memory" reads each newly committed slot once to compute its shard checksums (SUMS);
 * each tier then takes the newest step from the fastest place that holds it, one flush in
 * flight per tier, ranks copied `concurrency` at a time under a bandwidth cap at idle I/O
 * priority. Data files are published by rename after fsync and the per-node manifest is written
 * last; a journal records begin/durable so a killed agent resumes. A tier that cannot take data
 * pauses (ckpt.tier.unavailable) and is retried with backoff; memory copies stay.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepTempFiles } from '../../checkpoint-lib/atomic-file.ts';
import type { DurableReport } from '../../checkpoint-lib/commit.ts';
import {
  NODE_MANIFEST_FORMAT,
  type NodeManifest,
  type RankCopy,
  rankFileName,
  SLOT_FILES,
  tierPaths,
} from '../../checkpoint-lib/format.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { describeError } from '../../core/errors.ts';
import type { Observation } from '../../core/finding.ts';
import { type Logger, moduleLogger, silentLogger } from '../../core/logger.ts';
import { openFileSource } from './byte-io.ts';
import { copyRank } from './copy-rank.ts';
import type { IoPriority } from './io-priority.ts';
import { Journal, type JournalState, tierJobKey } from './journal.ts';
import { RateLimiter } from './rate-limit.ts';
import { planRetention } from './retention.ts';
import {
  type FoundSlot,
  listShmJobs,
  listSlots,
  pinSlot,
  readSums,
  unpinAll,
  unpinSlot,
  writeSums,
} from './shm-slots.ts';
import type { Tier } from './tier.ts';
import { isTierUnavailable, TierHealth } from './tier-health.ts';

export interface FlushEngineOptions {
  node: string;
  shmRoot: string;
  /** Durable tiers, fastest first (e.g. nvme, pfs). */
  tiers: Tier[];
  journalPath: string;
  clock?: Clock;
  logger?: Logger;
  /** Ranks copied at once within one flush. */
  concurrency?: number;
  /** Per-tier bandwidth cap in bytes/s (0 = none). */
  bandwidthBytesPerSec?: number;
  /** First retry delay of a paused tier. */
  retryMs?: number;
  /** How often shm and tiers are rescanned without a note. */
  scanMs?: number;
  /** Complete steps each tier keeps (default 2; the newest complete is always kept). */
  keep?: Record<string, number>;
  ioPriority?: IoPriority;
  /** A step's ranks became durable on a tier (this node's part). */
  onDurable?: (r: DurableReport) => void;
  /** A slot's checksums are known: the hook for peer replication. */
  onMemory?: (slot: FoundSlot, sums: number[]) => void;
}

/** Progress of the flush in flight on one tier. */
export interface FlushProgress {
  job: string;
  step: number;
  bytesDone: number;
  bytesTotal: number;
  startedAt: number;
}

/** Where a rank's bytes for a step can be read from. */
interface RankSource {
  rank: number;
  bytes: number;
  shards: RankCopy['shards'];
  world: number;
  from: { kind: 'memory'; slot: FoundSlot } | { kind: 'tier'; tier: Tier };
}

export class FlushEngine {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly health = new Map<string, TierHealth>();
  private readonly flights = new Map<string, Promise<void>>();
  private readonly progress = new Map<string, FlushProgress>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly pins = new Map<string, { count: number; ok: Promise<boolean> }>();
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly searching = new Set<string>();
  /** Pins refused (a writer filling the slot, or the save replaced): retried on the next pass. */
  private pinMisses = 0;
  private journal!: Journal;
  private jstate!: JournalState;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private kicking = false;
  private rekick = false;

  constructor(private readonly o: FlushEngineOptions) {
    this.log = moduleLogger(o.logger ?? silentLogger(), 'ckpt-flush');
    this.clock = o.clock ?? systemClock;
    for (const t of ['memory', ...o.tiers.map((t) => t.name)]) {
      const tier = o.tiers.find((x) => x.name === t);
      this.health.set(t, new TierHealth(t, tier?.location ?? o.shmRoot, o.retryMs ?? 2000));
      this.limiters.set(t, new RateLimiter(t === 'memory' ? 0 : (o.bandwidthBytesPerSec ?? 0)));
    }
  }

  /** Replay the journal, undo what a crash left (pins, temp files), and start scanning. */
  async start(): Promise<void> {
    const { journal, state } = await Journal.open(this.o.journalPath);
    this.journal = journal;
    this.jstate = state;
    const unpinned = await unpinAll(this.o.shmRoot);
    let swept = 0;
    for (const t of this.o.tiers) swept += await sweepTempFiles((t as { root?: string }).root ?? '');
    for (const f of state.inFlight) this.log.info({ ...f }, 'resuming a flush interrupted by a crash');
    await this.replayDurable();
    if (unpinned || swept) this.log.info({ unpinned, swept }, 'cleaned up after a crash');
    const scan = this.o.scanMs ?? 1000;
    this.timer = setInterval(() => this.kick(), scan);
    this.timer.unref();
    this.kick();
  }

  /** Re-announce what is already durable (newest step per tier and job), so a commit lost in a crash is made. */
  private async replayDurable(): Promise<void> {
    for (const t of this.o.tiers) {
      for (const job of await t.listJobs()) {
        const steps = await t.listSteps(job).catch(() => []);
        for (const step of steps.reverse()) {
          const m = await t.readNodeManifest(job, step, this.o.node).catch(() => undefined);
          if (!m) continue;
          this.o.onDurable?.({ job, step, node: m.node, tier: m.tier, world: m.world, ranks: m.ranks });
          break;
        }
      }
    }
  }

  /** Stop scanning and wait for flights to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.flights.values()]);
  }

  /** A writer's note (or anything that means "look now"). */
  notify(): void {
    this.kick();
  }

  /** Observations for the health state: one per paused tier. */
  observations(): Observation[] {
    const now = this.clock.now();
    return [...this.health.values()].flatMap((h) => h.observation(now) ?? []);
  }

  /** Tier pause states and flights, for the state view. */
  tierStatus(): { tier: string; paused: boolean; since?: number; reason?: string; flight?: FlushProgress }[] {
    return [...this.health.entries()].map(([tier, h]) => ({ tier, ...h.view(), flight: this.progress.get(tier) }));
  }

  /** Steps the journal knows durable for a tier and job. */
  durableSteps(tier: string, job: string): number[] {
    return [...(this.jstate.durable.get(tierJobKey(tier, job)) ?? [])].sort((a, b) => a - b);
  }

  /** Record a commit in the journal (retention protects it). */
  async recordCommit(job: string, step: number): Promise<void> {
    await this.journal.append({ t: 'committed', job, step, at: this.clock.now() });
    this.jstate.committed.set(job, Math.max(this.jstate.committed.get(job) ?? -1, step));
  }

  /** Resolves when no flight runs and a full pass found nothing to do (tests, bench). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.pass();
      await Promise.allSettled([...this.flights.values()]);
      if (this.quiet() && !(await this.hasWork()) && this.quiet()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    const held = [...this.pins].map(([dir, p]) => ({ dir, holders: p.count }));
    throw new Error(
      `flush engine did not become idle: ${JSON.stringify({ tiers: this.tierStatus(), pins: held, pinMisses: this.pinMisses })}`,
    );
  }

  /**
   * Nothing in progress: no flight, no pass searching, no slot pinned or being unpinned. A slot
   * pinned for a moment looks taken to a scan, so "no work found" only counts when quiet.
   */
  private quiet(): boolean {
    return (
      this.flights.size === 0 &&
      !this.kicking &&
      this.searching.size === 0 &&
      this.pins.size === 0 &&
      this.releasing.size === 0
    );
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.kicking) {
      this.rekick = true;
      return;
    }
    this.kicking = true;
    void this.pass()
      .catch((err) => this.log.warn({ err }, 'flush pass failed'))
      .finally(() => {
        this.kicking = false;
        if (this.rekick) {
          this.rekick = false;
          this.kick();
        }
      });
  }

  /** Start a flight on every tier that is idle, allowed and has work. */
  private async pass(): Promise<void> {
    for (const tier of ['memory', ...this.o.tiers.map((t) => t.name)]) {
      if (this.flights.has(tier) || this.searching.has(tier) || this.stopped) continue;
      if (!this.health.get(tier)!.canTry(this.clock.now())) continue;
      this.searching.add(tier);
      const work = await this.findWork(tier).finally(() => this.searching.delete(tier));
      if (!work || this.stopped) continue;
      const flight = this.fly(tier, work).finally(() => {
        this.flights.delete(tier);
        this.progress.delete(tier);
        this.kick();
      });
      this.flights.set(tier, flight);
    }
  }

  private async hasWork(): Promise<boolean> {
    for (const tier of ['memory', ...this.o.tiers.map((t) => t.name)]) {
      if (!this.health.get(tier)!.paused && (await this.findWork(tier))) return true;
    }
    return false;
  }

  private async jobs(): Promise<string[]> {
    const all = new Set(await listShmJobs(this.o.shmRoot));
    for (const t of this.o.tiers) for (const j of await t.listJobs()) all.add(j);
    return [...all].sort();
  }

  // ---- what to do next ----

  private async findWork(
    tier: string,
  ): Promise<{ job: string; step: number; sources: RankSource[] } | { memory: FoundSlot[] } | undefined> {
    if (tier === 'memory') {
      const need: FoundSlot[] = [];
      for (const job of await listShmJobs(this.o.shmRoot)) {
        for (const s of await listSlots(this.o.shmRoot, job)) {
          if (!s.pinned && !(await readSums(s.dir, s.record.saveId))) need.push(s);
        }
      }
      return need.length ? { memory: need } : undefined;
    }
    const idx = this.o.tiers.findIndex((t) => t.name === tier);
    const target = this.o.tiers[idx]!;
    for (const job of await this.jobs()) {
      const avail = await this.sourcesFor(job, idx);
      const newest = Math.max(-1, ...avail.keys());
      if (newest < 0) continue;
      const have = await target.readNodeManifest(job, newest, this.o.node).catch(() => undefined);
      const haveRanks = new Set(have?.ranks.map((r) => r.rank));
      const missing = (avail.get(newest) ?? []).filter((s) => !haveRanks.has(s.rank));
      if (missing.length) return { job, step: newest, sources: missing };
    }
    return undefined;
  }

  /** Step → the fastest source of each rank, from memory or tiers faster than `idx`. */
  private async sourcesFor(job: string, idx: number): Promise<Map<number, RankSource[]>> {
    const byStep = new Map<number, Map<number, RankSource>>();
    const put = (step: number, s: RankSource) => {
      const m = byStep.get(step) ?? new Map<number, RankSource>();
      if (!m.has(s.rank)) m.set(s.rank, s);
      byStep.set(step, m);
    };
    for (const slot of await listSlots(this.o.shmRoot, job)) {
      const sums = await readSums(slot.dir, slot.record.saveId);
      if (!sums) continue;
      const shards = slot.record.shards.map((sh, i) => ({ ...sh, crc32: sums.crc32[i] ?? 0 }));
      put(slot.record.step, {
        rank: slot.rank,
        bytes: slot.record.dataBytes,
        shards,
        world: slot.record.world,
        from: { kind: 'memory', slot },
      });
    }
    for (const t of this.o.tiers.slice(0, idx)) {
      for (const step of this.durableSteps(t.name, job)) {
        const m = await t.readNodeManifest(job, step, this.o.node).catch(() => undefined);
        for (const r of m?.ranks ?? [])
          put(step, {
            rank: r.rank,
            bytes: r.bytes,
            shards: r.shards,
            world: m!.world,
            from: { kind: 'tier', tier: t },
          });
      }
    }
    return new Map([...byStep].map(([k, v]) => [k, [...v.values()].sort((a, b) => a.rank - b.rank)]));
  }

  // ---- flights ----

  private async fly(tier: string, work: NonNullable<Awaited<ReturnType<FlushEngine['findWork']>>>): Promise<void> {
    const h = this.health.get(tier)!;
    await this.o.ioPriority?.lower();
    try {
      if ('memory' in work) await this.sumSlots(work.memory);
      else await this.flushStep(tier, work.job, work.step, work.sources);
      h.onSuccess();
    } catch (err) {
      if (isTierUnavailable(err)) {
        if (!h.paused) this.log.warn({ tier, err: describeError(err) }, 'checkpoint tier unavailable; pausing it');
        h.onUnavailable(this.clock.now(), describeError(err));
      } else {
        this.log.warn({ tier, err }, 'checkpoint flush failed');
        h.onUnavailable(this.clock.now(), describeError(err));
      }
    } finally {
      await this.o.ioPriority?.restore();
    }
  }

  /** Stage memory: read each new slot once, record its checksums. */
  private async sumSlots(slots: FoundSlot[]): Promise<void> {
    for (const slot of slots) {
      if (!(await this.pin(slot))) continue;
      try {
        const src = await openFileSource(join(slot.dir, SLOT_FILES.data));
        let sums: number[];
        try {
          sums = await copyRank(src, undefined, slot.record.dataBytes, slot.record.shards);
        } finally {
          await src.close();
        }
        await writeSums(slot.dir, { saveId: slot.record.saveId, step: slot.record.step, crc32: sums });
        this.o.onDurable?.({
          job: slot.job,
          step: slot.record.step,
          node: this.o.node,
          tier: 'memory',
          world: slot.record.world,
          ranks: [
            {
              rank: slot.rank,
              file: slot.dir,
              bytes: slot.record.dataBytes,
              shards: slot.record.shards.map((s, i) => ({ ...s, crc32: sums[i] ?? 0 })),
            },
          ],
        });
        this.o.onMemory?.(slot, sums);
      } finally {
        await this.unpin(slot);
      }
    }
  }

  /** Copy the missing ranks of one step to a tier, then write its node manifest. */
  private async flushStep(tierName: string, job: string, step: number, sources: RankSource[]): Promise<void> {
    const tier = this.o.tiers.find((t) => t.name === tierName)!;
    await tier.probe();
    const at = this.clock.now();
    await this.journal.append({ t: 'begin', tier: tierName, job, step, at });
    const prog: FlushProgress = {
      job,
      step,
      bytesDone: 0,
      bytesTotal: sources.reduce((a, s) => a + s.bytes, 0),
      startedAt: at,
    };
    this.progress.set(tierName, prog);
    const done: RankCopy[] = [];
    const queue = [...sources];
    const limiter = this.limiters.get(tierName)!;
    const worker = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const copy = await this.copyOne(tier, job, step, s, limiter, (n) => {
          prog.bytesDone += n;
        });
        if (copy) done.push(copy);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency ?? 2) }, worker));
    } catch (err) {
      await this.journal.append({ t: 'abandon', tier: tierName, job, step, at: this.clock.now() }).catch(() => {});
      throw err;
    }
    if (!done.length) {
      await this.journal.append({ t: 'abandon', tier: tierName, job, step, at: this.clock.now() });
      return;
    }
    const prev = await tier.readNodeManifest(job, step, this.o.node);
    const ranks = new Map((prev?.ranks ?? []).map((r) => [r.rank, r]));
    for (const r of done) ranks.set(r.rank, r);
    const manifest: NodeManifest = {
      format: NODE_MANIFEST_FORMAT,
      job,
      step,
      node: this.o.node,
      tier: tierName,
      world: sources[0]!.world,
      ranks: [...ranks.values()].sort((a, b) => a.rank - b.rank),
      writtenAt: this.clock.now(),
    };
    await tier.writeNodeManifest(manifest);
    await this.journal.append({ t: 'durable', tier: tierName, job, step, at: this.clock.now() });
    const set = this.jstate.durable.get(tierJobKey(tierName, job)) ?? new Set<number>();
    set.add(step);
    this.jstate.durable.set(tierJobKey(tierName, job), set);
    this.log.info(
      { tier: tierName, job, step, ranks: manifest.ranks.length, bytes: prog.bytesTotal },
      'checkpoint durable',
    );
    this.o.onDurable?.({ job, step, node: this.o.node, tier: tierName, world: manifest.world, ranks: manifest.ranks });
    await this.retain(tier, job, step);
  }

  /** One rank: keep an already published, matching file (resume), else copy from the source. */
  private async copyOne(
    tier: Tier,
    job: string,
    step: number,
    s: RankSource,
    limiter: RateLimiter,
    onBytes: (n: number) => void,
  ): Promise<RankCopy | undefined> {
    const expected = s.shards.map((x) => x.crc32);
    const copy: RankCopy = { rank: s.rank, file: rankFileName(s.rank), bytes: s.bytes, shards: s.shards };
    if ((await tier.rankSize(job, step, s.rank)) === s.bytes) {
      const src = await tier.openRankSource(job, step, s.rank);
      try {
        await copyRank(src, undefined, s.bytes, s.shards, { expected });
        onBytes(s.bytes);
        return copy;
      } catch {
        // A published file that does not match is rewritten below.
      } finally {
        await src.close();
      }
    }
    if (s.from.kind === 'memory' && !(await this.pin(s.from.slot))) return undefined;
    try {
      const src =
        s.from.kind === 'memory'
          ? await openFileSource(join(s.from.slot.dir, SLOT_FILES.data))
          : await s.from.tier.openRankSource(job, step, s.rank);
      try {
        const sink = await tier.openRankSink(job, step, s.rank);
        let last = 0;
        await copyRank(src, sink, s.bytes, s.shards, {
          expected,
          limiter,
          onProgress: (p) => {
            onBytes(p - last);
            last = p;
          },
        });
      } finally {
        await src.close();
      }
    } finally {
      if (s.from.kind === 'memory') await this.unpin(s.from.slot);
    }
    return copy;
  }

  private async retain(tier: Tier, job: string, newest: number): Promise<void> {
    const steps = await tier.listSteps(job);
    const info = await Promise.all(
      steps.map(async (step) => ({
        step,
        complete: (await tier.readNodeManifest(job, step, this.o.node)) !== undefined,
      })),
    );
    const protect = new Set([newest]);
    const committed = this.jstate.committed.get(job);
    if (committed !== undefined) protect.add(committed);
    // LATEST may be written before the journal hears of the commit (a crash in between).
    let latestStep: number | undefined;
    for (const t of this.o.tiers) {
      const latest = await t.readLatest(job).catch(() => undefined);
      if (latest) {
        protect.add(latest.step);
        latestStep = Math.max(latestStep ?? latest.step, latest.step);
      }
    }
    // A step newer than the last commit may be committed at any moment (the committer runs
    // apart from this): deleting it could leave LATEST naming a step whose files are gone.
    if (latestStep !== undefined) for (const x of info) if (x.step > latestStep) protect.add(x.step);
    for (const step of planRetention(info, this.o.keep?.[tier.name] ?? 2, protect)) {
      await this.removeOwn(tier, job, step);
      await this.journal.append({ t: 'deleted', tier: tier.name, job, step, at: this.clock.now() });
      this.jstate.durable.get(tierJobKey(tier.name, job))?.delete(step);
    }
  }

  /** Remove this node's files of a step (manifest first), and the directory when nothing else is left. */
  private async removeOwn(tier: Tier, job: string, step: number): Promise<void> {
    const root = (tier as { root?: string }).root;
    if (root === undefined) return tier.removeStep(job, step);
    const dir = tierPaths.step(root, job, step);
    const m = await tier.readNodeManifest(job, step, this.o.node);
    await rm(tierPaths.nodeManifest(root, job, step, this.o.node), { force: true });
    for (const r of m?.ranks ?? []) await rm(join(dir, r.file), { force: true });
    let left: string[] = [];
    try {
      left = await readdir(dir);
    } catch {}
    const others = left.filter((n) => n.startsWith('node-'));
    if (!others.length) {
      await rm(dir, { recursive: true, force: true });
    } else await rmdir(dir).catch(() => {});
  }

  // ---- pins are shared between tiers flushing the same slot ----

  /**
   * Pin a slot (shared by every flight copying it). A failed pin holds nothing: the caller must
   * not unpin, and the next pin tries again. A pin made while the last holder's unpin is still
   * renaming the record back waits for that rename, or it would find no COMMIT and fail.
   */
  private async pin(slot: FoundSlot): Promise<boolean> {
    for (let r = this.releasing.get(slot.dir); r; r = this.releasing.get(slot.dir)) await r;
    let p = this.pins.get(slot.dir);
    if (!p) {
      p = { count: 0, ok: pinSlot(slot.dir, slot.record.saveId).then((r) => r !== undefined) };
      this.pins.set(slot.dir, p);
    }
    p.count++;
    if (await p.ok) return true;
    if (--p.count === 0 && this.pins.get(slot.dir) === p) this.pins.delete(slot.dir);
    this.pinMisses++;
    return false;
  }

  /** Release a successful pin; the last holder gives the slot back to the writer. */
  private async unpin(slot: FoundSlot): Promise<void> {
    const p = this.pins.get(slot.dir);
    if (!p) return;
    if (--p.count > 0) return;
    this.pins.delete(slot.dir);
    const done = unpinSlot(slot.dir);
    this.releasing.set(slot.dir, done);
    try {
      await done;
    } finally {
      if (this.releasing.get(slot.dir) === done) this.releasing.delete(slot.dir);
    }
  }
}
