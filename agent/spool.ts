/**
 * An append-only file of framed records (length, crc32, msgpack) that survives crashes: a torn
 * record at the end is ignored on load, a corrupt one stops the read there. Used by the outbox
 * so that findings outlive a long collector outage and an agent restart.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { KeelsonError } from '../core/errors.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });
const HEADER = 8;

/** Split a spool file's bytes into records; stops at the first torn or corrupt one. Pure. */
export function decodeSpool(bytes: Buffer): { records: unknown[]; validBytes: number } {
  const records: unknown[] = [];
  let off = 0;
  while (off + HEADER <= bytes.length) {
    const len = bytes.readUInt32BE(off);
    const sum = bytes.readUInt32BE(off + 4);
    if (off + HEADER + len > bytes.length) break;
    const body = bytes.subarray(off + HEADER, off + HEADER + len);
    if (crc32(body) !== sum) break;
    try {
      records.push(packr.unpack(body));
    } catch {
      break;
    }
    off += HEADER + len;
  }
  return { records, validBytes: off };
}

/** Frame one record. Pure. */
export function encodeSpoolRecord(value: unknown): Buffer {
  const body = packr.pack(value);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

export class Spool {
  private fd: number;
  private bytes: number;

  private constructor(
    private readonly path: string,
    fd: number,
    bytes: number,
  ) {
    this.fd = fd;
    this.bytes = bytes;
  }

  /** Open (creating) the spool and return it with the records it holds; a torn tail is cut off. */
  static open(path: string): { spool: Spool; records: unknown[] } {
    try {
      let existing: Buffer;
      try {
        existing = readFileSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        existing = Buffer.alloc(0);
      }
      const { records, validBytes } = decodeSpool(existing);
      const fd = openSync(path, 'a+');
      if (validBytes < fstatSync(fd).size) ftruncateSync(fd, validBytes);
      return { spool: new Spool(path, fd, validBytes), records };
    } catch (err) {
      throw new KeelsonError('SPOOL_IO', `cannot open spool ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Append one record durably (written and fdatasync'd before returning). */
  append(value: unknown): number {
    const rec = encodeSpoolRecord(value);
    try {
      writeSync(this.fd, rec);
      fdatasyncSync(this.fd);
    } catch (err) {
      throw new KeelsonError('SPOOL_IO', `cannot append to spool ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.bytes += rec.length;
    return rec.length;
  }

  /** Read every record back (for replaying a backlog that no longer fits in memory). */
  readAll(): unknown[] {
    return decodeSpool(readFileSync(this.path)).records;
  }

  /** Drop every record (all were acknowledged). */
  truncate(): void {
    ftruncateSync(this.fd, 0);
    fdatasyncSync(this.fd);
    this.bytes = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
