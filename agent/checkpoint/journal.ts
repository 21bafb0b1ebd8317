/**
 * The flush journal: one NDJSON line per event (a flush began, a tier became durable for a
 * step, a step was committed or deleted), fdatasync'd before the engine acts on it, so an agent
 * killed at any point knows on restart what was in flight. A torn last line is ignored.
 * `replayJournal` is the pure reading; `Journal` the file shell (compacted when it grows).
 */
import { open, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../../checkpoint-lib/atomic-file.ts';

export const journalEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('begin'), tier: z.string(), job: z.string(), step: z.number(), at: z.number() }),
  z.object({ t: z.literal('durable'), tier: z.string(), job: z.string(), step: z.number(), at: z.number() }),
  z.object({ t: z.literal('abandon'), tier: z.string(), job: z.string(), step: z.number(), at: z.number() }),
  z.object({ t: z.literal('deleted'), tier: z.string(), job: z.string(), step: z.number(), at: z.number() }),
  z.object({ t: z.literal('committed'), job: z.string(), step: z.number(), at: z.number() }),
]);
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/** What the journal says, folded. */
export interface JournalState {
  /** `tier/job` → durable steps. */
  durable: Map<string, Set<number>>;
  /** Flushes begun and neither finished nor abandoned. */
  inFlight: { tier: string; job: string; step: number }[];
  committed: Map<string, number>;
}

export const tierJobKey = (tier: string, job: string) => `${tier}/${job}`;

/** Fold journal lines (text) into state; bad or torn lines are skipped. */
export function replayJournal(text: string): JournalState {
  const durable = new Map<string, Set<number>>();
  const open = new Map<string, { tier: string; job: string; step: number }>();
  const committed = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: JournalEntry;
    try {
      const r = journalEntrySchema.safeParse(JSON.parse(line));
      if (!r.success) continue;
      e = r.data;
    } catch {
      continue;
    }
    if (e.t === 'committed') {
      committed.set(e.job, Math.max(committed.get(e.job) ?? -1, e.step));
      continue;
    }
    const k = `${e.tier}/${e.job}/${e.step}`;
    const dk = tierJobKey(e.tier, e.job);
    if (e.t === 'begin') open.set(k, { tier: e.tier, job: e.job, step: e.step });
    else {
      open.delete(k);
      const set = durable.get(dk) ?? new Set<number>();
      if (e.t === 'durable') set.add(e.step);
      if (e.t === 'deleted') set.delete(e.step);
      durable.set(dk, set);
    }
  }
  for (const [k, v] of durable) if (v.size === 0) durable.delete(k);
  return { durable, inFlight: [...open.values()], committed };
}

/** Fold a state back into the few lines that recreate it (for compaction). */
export function compactJournal(s: JournalState, at: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const [k, steps] of s.durable) {
    const [tier = '', job = ''] = k.split('/');
    for (const step of steps) out.push({ t: 'durable', tier, job, step, at });
  }
  for (const f of s.inFlight) out.push({ t: 'begin', ...f, at });
  for (const [job, step] of s.committed) out.push({ t: 'committed', job, step, at });
  return out;
}

/** The journal file. */
export class Journal {
  private lines = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly maxLines: number,
  ) {}

  /** Open (creating if absent) and replay. */
  static async open(path: string, maxLines = 2000): Promise<{ journal: Journal; state: JournalState }> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const j = new Journal(path, maxLines);
    const state = replayJournal(text);
    j.lines = text.split('\n').length;
    return { journal: j, state };
  }

  /** Append one entry durably (serialised: callers may overlap). */
  append(e: JournalEntry): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.lines >= this.maxLines) await this.compact(e.at);
      const fh = await open(this.path, 'a');
      try {
        await fh.write(`${JSON.stringify(e)}\n`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      this.lines++;
    });
    this.chain = next.catch(() => {});
    return next;
  }

  private async compact(at: number): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch {}
    const lines = compactJournal(replayJournal(text), at).map((e) => JSON.stringify(e));
    await writeFileAtomic(this.path, lines.length ? `${lines.join('\n')}\n` : '');
    this.lines = lines.length;
  }
}
