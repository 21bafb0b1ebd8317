/**
 * The agent's half of the slot protocol (FORMAT.md): find complete slots in the shm tree, pin
 * one while copying it out (COMMIT → COMMIT.pinned, backing off if a writer raised WRITING),
 * unpin, and keep the checksums computed on the first read in SUMS beside the record.
 */
import { access, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../checkpoint-lib/atomic-file.ts';
import {
  parseJsonAs,
  SLOT_FILES,
  type SlotRecord,
  type SlotSums,
  slotRecordSchema,
  slotSumsSchema,
} from '../../checkpoint-lib/format.ts';

/** A complete slot as found by a scan. */
export interface FoundSlot {
  job: string;
  rank: number;
  slot: number;
  dir: string;
  record: SlotRecord;
  pinned: boolean;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function readJson<T>(path: string, schema: import('zod').ZodType<T>): Promise<T | undefined> {
  try {
    return parseJsonAs(schema, await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

async function dirNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Jobs present under the shm root (peer replicas live under `.peers` and are skipped). */
export async function listShmJobs(root: string): Promise<string[]> {
  return (await dirNames(root)).filter((n) => !n.startsWith('.'));
}

/** Every complete (committed or pinned) slot of one job. */
export async function listSlots(root: string, job: string): Promise<FoundSlot[]> {
  const out: FoundSlot[] = [];
  for (const rn of await dirNames(join(root, job))) {
    const rm = /^rank-(\d+)$/.exec(rn);
    if (!rm) continue;
    for (const sn of await dirNames(join(root, job, rn))) {
      const sm = /^slot-(\d+)$/.exec(sn);
      if (!sm) continue;
      const dir = join(root, job, rn, sn);
      let pinned = false;
      let record = await readJson(join(dir, SLOT_FILES.commit), slotRecordSchema);
      if (!record) {
        record = await readJson(join(dir, SLOT_FILES.pinned), slotRecordSchema);
        pinned = record !== undefined;
      }
      if (!record || record.job !== job || record.rank !== Number(rm[1])) continue;
      out.push({ job, rank: record.rank, slot: Number(sm[1]), dir, record, pinned });
    }
  }
  return out;
}

/**
 * Pin a slot for copying out; returns its record only when it still holds `saveId` and no
 * writer is filling it. Undefined means "not available now" and leaves the slot as it was.
 */
export async function pinSlot(dir: string, saveId: string): Promise<SlotRecord | undefined> {
  try {
    await rename(join(dir, SLOT_FILES.commit), join(dir, SLOT_FILES.pinned));
  } catch {
    return undefined;
  }
  const rec = await readJson(join(dir, SLOT_FILES.pinned), slotRecordSchema);
  if (!rec || rec.saveId !== saveId || (await exists(join(dir, SLOT_FILES.writing)))) {
    await unpinSlot(dir);
    return undefined;
  }
  return rec;
}

/** Give a pinned slot back to the writer. */
export async function unpinSlot(dir: string): Promise<void> {
  await rename(join(dir, SLOT_FILES.pinned), join(dir, SLOT_FILES.commit)).catch(() => {});
}

/** After an agent crash: unpin every slot it left pinned. */
export async function unpinAll(root: string): Promise<number> {
  let n = 0;
  for (const job of await listShmJobs(root)) {
    for (const s of await listSlots(root, job)) {
      if (s.pinned) {
        await unpinSlot(s.dir);
        n++;
      }
    }
  }
  return n;
}

/** Record the checksums of a slot's save (atomically; SUMS names the save it belongs to). */
export async function writeSums(dir: string, sums: SlotSums): Promise<void> {
  await writeFileAtomic(join(dir, SLOT_FILES.sums), JSON.stringify(sums));
}

/** The checksums of the slot's current save, or undefined when not computed yet. */
export async function readSums(dir: string, saveId: string): Promise<SlotSums | undefined> {
  const s = await readJson(join(dir, SLOT_FILES.sums), slotSumsSchema);
  return s?.saveId === saveId ? s : undefined;
}
