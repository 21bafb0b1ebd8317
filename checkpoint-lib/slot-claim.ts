/**
 * The writer's half of the slot protocol (FORMAT.md "Who may touch a slot"): claim a slot
 * with a WRITING flag, then check the agent has not pinned it; commit by writing the record to
 * COMMIT.new, dropping WRITING and renaming COMMIT.new to COMMIT, so a torn slot never looks
 * complete. Synchronous on purpose: the trainer's save path is a straight line.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseJsonAs, SLOT_FILES, type SlotRecord, slotRecordSchema } from './format.ts';
import type { SlotView } from './slot-choice.ts';

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Read what a writer needs to know about each slot of one rank directory. */
export function viewSlots(rankDir: string): SlotView[] {
  let names: string[];
  try {
    names = readdirSync(rankDir);
  } catch {
    return [];
  }
  const views: SlotView[] = [];
  for (const n of names) {
    const m = /^slot-(\d+)$/.exec(n);
    if (!m) continue;
    const dir = join(rankDir, n);
    let capacity = 0;
    try {
      capacity = statSync(join(dir, SLOT_FILES.data)).size;
    } catch {}
    const slot = Number(m[1]);
    if (existsSync(join(dir, SLOT_FILES.pinned))) {
      views.push({ slot, state: 'pinned', capacity });
      continue;
    }
    const rec = readRecord(join(dir, SLOT_FILES.commit));
    if (rec && !existsSync(join(dir, SLOT_FILES.writing)))
      views.push({ slot, state: 'complete', step: rec.step, capacity });
    else views.push({ slot, state: capacity > 0 ? 'torn' : 'empty', capacity });
  }
  return views;
}

/** The record in a commit file, or undefined when absent or not valid. */
export function readRecord(path: string): SlotRecord | undefined {
  try {
    return parseJsonAs(slotRecordSchema, readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Claim a slot for writing. Returns false when the agent holds it (pinned), in which case the
 * slot is left as it was. Safe against a concurrent pin: see FORMAT.md.
 */
export function claimSlot(slotDir: string): boolean {
  mkdirSync(slotDir, { recursive: true });
  const writing = join(slotDir, SLOT_FILES.writing);
  closeSync(openSync(writing, 'w'));
  if (existsSync(join(slotDir, SLOT_FILES.pinned))) {
    unlinkSync(writing);
    return false;
  }
  unlinkQuiet(join(slotDir, SLOT_FILES.commit));
  if (existsSync(join(slotDir, SLOT_FILES.pinned))) {
    // The agent pinned between our check and the unlink: it owns the record now; back off.
    unlinkSync(writing);
    return false;
  }
  unlinkQuiet(join(slotDir, SLOT_FILES.sums));
  return true;
}

/** Publish the slot: the record goes in last, so the slot is complete only after this. */
export function commitSlot(slotDir: string, record: SlotRecord, writeText: (path: string, text: string) => void): void {
  const tmp = join(slotDir, `${SLOT_FILES.commit}.new`);
  writeText(tmp, JSON.stringify(record));
  unlinkSync(join(slotDir, SLOT_FILES.writing));
  renameSync(tmp, join(slotDir, SLOT_FILES.commit));
}
