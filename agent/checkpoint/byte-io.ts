/**
 * The two ends of a copy, so a tier that is not a directory (an object store) can plug in:
 * a ByteSource reads at positions, a ByteSink appends and then either publishes atomically or
 * is thrown away. FileSource/FileSink are the directory versions (temp + fsync + rename).
 */
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, tempPathFor } from '../../checkpoint-lib/atomic-file.ts';

export interface ByteSource {
  read(buf: Uint8Array, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ByteSink {
  write(buf: Uint8Array): Promise<void>;
  /** Make the bytes durable and visible under the final name. */
  publish(): Promise<void>;
  /** Drop the partial bytes; nothing appears under the final name. */
  abort(): Promise<void>;
}

/** Read a file at positions. */
export async function openFileSource(path: string): Promise<ByteSource> {
  const fh = await open(path, 'r');
  return {
    read: async (buf, length, position) => (await fh.read(buf, 0, length, position)).bytesRead,
    close: () => fh.close(),
  };
}

/** Write to a temp name beside `finalPath`; publish = fsync, rename, fsync directory. */
export async function openFileSink(finalPath: string): Promise<ByteSink> {
  const tmp = tempPathFor(finalPath);
  const fh: FileHandle = await open(tmp, 'w');
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    write: async (buf) => {
      let done = 0;
      while (done < buf.byteLength) done += (await fh.write(buf, done, buf.byteLength - done)).bytesWritten;
    },
    publish: async () => {
      await fh.sync();
      await close();
      await rename(tmp, finalPath);
      await fsyncDir(dirname(finalPath));
    },
    abort: async () => {
      await close().catch(() => {});
      await unlink(tmp).catch(() => {});
    },
  };
}
