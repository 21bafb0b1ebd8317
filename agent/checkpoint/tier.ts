/**
 * A storage tier the agent flushes to. The interface is what the flush engine, the committer
 * and restore need — rank data in, rank data out, small JSON documents written atomically, a
 * listing of steps — so an object store can implement it (multipart upload = sink, the final
 * PUT = publish) beside DirTier, the directory version for NVMe and mounted parallel storage.
 */
import { access, constants, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../checkpoint-lib/atomic-file.ts';
import {
  type GlobalManifest,
  globalManifestSchema,
  type LatestPointer,
  latestPointerSchema,
  type NodeManifest,
  nodeManifestSchema,
  parseJsonAs,
  parseStepDirName,
  tierPaths,
} from '../../checkpoint-lib/format.ts';
import { KeelsonError } from '../../core/errors.ts';
import { type ByteSink, type ByteSource, openFileSink, openFileSource } from './byte-io.ts';

export interface Tier {
  readonly name: string;
  /** Where it lives, for people (a directory, a bucket URL). */
  readonly location: string;
  /** Throws CKPT_TIER_UNAVAILABLE when the tier cannot be written now. */
  probe(): Promise<void>;
  openRankSink(job: string, step: number, rank: number): Promise<ByteSink>;
  openRankSource(job: string, step: number, rank: number): Promise<ByteSource>;
  /** Size of a published rank file, or undefined. */
  rankSize(job: string, step: number, rank: number): Promise<number | undefined>;
  writeNodeManifest(m: NodeManifest): Promise<void>;
  readNodeManifest(job: string, step: number, node: string): Promise<NodeManifest | undefined>;
  /** Every node manifest of a step. */
  readNodeManifests(job: string, step: number): Promise<NodeManifest[]>;
  writeManifest(m: GlobalManifest): Promise<void>;
  readManifest(job: string, step: number): Promise<GlobalManifest | undefined>;
  writeLatest(p: LatestPointer): Promise<void>;
  readLatest(job: string): Promise<LatestPointer | undefined>;
  /** Steps with a directory (complete or not), ascending. */
  listSteps(job: string): Promise<number[]>;
  listJobs(): Promise<string[]>;
  removeStep(job: string, step: number): Promise<void>;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A tier that is a directory: local NVMe or a mounted Lustre/GPFS/NFS path. */
export class DirTier implements Tier {
  readonly location: string;
  constructor(
    readonly name: string,
    readonly root: string,
  ) {
    this.location = root;
  }

  async probe(): Promise<void> {
    try {
      // The root itself is never created: a missing mount point must not turn into a local dir.
      const s = await stat(this.root);
      if (!s.isDirectory()) throw new Error(`${this.root} is not a directory`);
      await access(this.root, constants.W_OK);
    } catch (err) {
      throw new KeelsonError('CKPT_TIER_UNAVAILABLE', `tier ${this.name} at ${this.root}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async stepDir(job: string, step: number): Promise<void> {
    await stat(this.root);
    await mkdir(tierPaths.step(this.root, job, step), { recursive: true });
  }

  async openRankSink(job: string, step: number, rank: number): Promise<ByteSink> {
    await this.stepDir(job, step);
    return openFileSink(tierPaths.rankFile(this.root, job, step, rank));
  }

  openRankSource(job: string, step: number, rank: number): Promise<ByteSource> {
    return openFileSource(tierPaths.rankFile(this.root, job, step, rank));
  }

  async rankSize(job: string, step: number, rank: number): Promise<number | undefined> {
    try {
      return (await stat(tierPaths.rankFile(this.root, job, step, rank))).size;
    } catch {
      return undefined;
    }
  }

  async writeNodeManifest(m: NodeManifest): Promise<void> {
    await this.stepDir(m.job, m.step);
    await writeFileAtomic(tierPaths.nodeManifest(this.root, m.job, m.step, m.node), JSON.stringify(m));
  }

  async readNodeManifest(job: string, step: number, node: string): Promise<NodeManifest | undefined> {
    const t = await readText(tierPaths.nodeManifest(this.root, job, step, node));
    return t === undefined ? undefined : parseJsonAs(nodeManifestSchema, t);
  }

  async readNodeManifests(job: string, step: number): Promise<NodeManifest[]> {
    let names: string[];
    try {
      names = await readdir(tierPaths.step(this.root, job, step));
    } catch {
      return [];
    }
    const out: NodeManifest[] = [];
    for (const n of names) {
      const m = /^node-(.+)\.json$/.exec(n);
      if (!m?.[1]) continue;
      const doc = await this.readNodeManifest(job, step, m[1]);
      if (doc) out.push(doc);
    }
    return out;
  }

  async writeManifest(m: GlobalManifest): Promise<void> {
    await this.stepDir(m.job, m.step);
    await writeFileAtomic(tierPaths.manifest(this.root, m.job, m.step), JSON.stringify(m));
  }

  async readManifest(job: string, step: number): Promise<GlobalManifest | undefined> {
    const t = await readText(tierPaths.manifest(this.root, job, step));
    return t === undefined ? undefined : parseJsonAs(globalManifestSchema, t);
  }

  async writeLatest(p: LatestPointer): Promise<void> {
    await stat(this.root);
    await mkdir(tierPaths.job(this.root, p.job), { recursive: true });
    await writeFileAtomic(tierPaths.latest(this.root, p.job), JSON.stringify(p));
  }

  async readLatest(job: string): Promise<LatestPointer | undefined> {
    const t = await readText(tierPaths.latest(this.root, job));
    return t === undefined ? undefined : parseJsonAs(latestPointerSchema, t);
  }

  async listSteps(job: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(tierPaths.job(this.root, job));
    } catch {
      return [];
    }
    return names
      .map(parseStepDirName)
      .filter((s): s is number => s !== undefined)
      .sort((a, b) => a - b);
  }

  async listJobs(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name);
    } catch {
      return [];
    }
  }

  async removeStep(job: string, step: number): Promise<void> {
    await rm(tierPaths.step(this.root, job, step), { recursive: true, force: true });
  }
}
