/**
 * Durable file writes: temp name in the same directory, write, fsync, rename, fsync the
 * directory. A reader never sees a torn file under a final name, and after a crash the file
 * is either the old one or the new one. Temp names start with `.tmp-` so a sweep can find them.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of every temp file; never a final name. */
export const TEMP_PREFIX = '.tmp-';

/** A temp path beside `finalPath`. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `${TEMP_PREFIX}${basename(finalPath)}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so a rename in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write `data` to `finalPath` atomically and durably. */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(finalPath);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, finalPath);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(finalPath));
}

/** Remove every temp file below `dir` (after a crash); returns how many were removed. */
export async function sweepTempFiles(dir: string): Promise<number> {
  let removed = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.startsWith(TEMP_PREFIX)) {
      await rm(p, { force: true, recursive: true });
      removed++;
    } else if (e.isDirectory()) removed += await sweepTempFiles(p);
  }
  return removed;
}
