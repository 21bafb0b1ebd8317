/**
 * Quick active checks for `keelson preflight`, beyond the probes' passive reads: the shared
 * memory checkpoints go through really takes writes and gives them back, the state directory
 * is writable and durable, and the kernel log since boot holds nothing that still matters
 * (a GPU that fell off the bus an hour ago needs a reboot whatever nvidia-smi says now).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../core/errors.ts';
import type { Observation } from '../core/finding.ts';
import { analyzeKernelLog } from '../probes/kernel-log/analyzers.ts';

/** One active check's result. */
export interface ActiveCheckResult {
  name: string;
  ok: boolean;
  detail: string;
  observations: Observation[];
}

const fail = (name: string, detail: string): ActiveCheckResult => ({ name, ok: false, detail, observations: [] });

/** Write `bytes` of random data to a file in `dir`, fsync it, read it back and compare. */
export async function writeReadCheck(name: string, dir: string, bytes: number): Promise<ActiveCheckResult> {
  const path = join(dir, `.keelson-preflight-${randomBytes(6).toString('hex')}`);
  const data = randomBytes(bytes);
  const t0 = performance.now();
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(path, 'w+');
    try {
      await fh.write(data, 0, data.length, 0);
      await fh.sync();
      const back = Buffer.alloc(data.length);
      await fh.read(back, 0, back.length, 0);
      if (!back.equals(data)) return fail(name, `${dir}: data read back differs from what was written`);
    } finally {
      await fh.close();
    }
    const ms = performance.now() - t0;
    return {
      name,
      ok: true,
      detail: `${dir}: wrote, synced and read back ${bytes} bytes in ${ms.toFixed(1)} ms`,
      observations: [],
    };
  } catch (err) {
    return fail(name, `${dir}: ${describeError(err)}`);
  } finally {
    await rm(path, { force: true });
  }
}

/** Read every record /dev/kmsg holds (non-blocking, until it has no more), capped. */
async function readKmsgRing(path: string, capBytes: number): Promise<string> {
  const fh = await open(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const buf = Buffer.alloc(16 * 1024);
    for (;;) {
      let n: number;
      try {
        n = (await fh.read(buf, 0, buf.length, null)).bytesRead;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // records overwritten while reading: go on with the next
        throw err;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total >= capBytes) break;
    }
  } finally {
    await fh.close();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Judge the kernel log since boot with the kernel-log rules: degraded or fatal events fail the check. */
export async function kernelLogSinceBootCheck(devRoot: string, now: number): Promise<ActiveCheckResult> {
  const path = join(devRoot, 'kmsg');
  let text: string;
  try {
    text = await readKmsgRing(path, 16 * 1024 * 1024);
  } catch (err) {
    return {
      name: 'kernel-log',
      ok: true,
      detail: `${path} not readable (${describeError(err)}); skipped`,
      observations: [],
    };
  }
  const observations = text.trim() ? analyzeKernelLog(text, now, ['kmsg']) : [];
  const bad = observations.filter((o) => o.severity === 'degraded' || o.severity === 'fatal');
  return {
    name: 'kernel-log',
    ok: bad.length === 0,
    detail: bad.length
      ? `${bad.length} serious kernel event(s) since boot: ${[...new Set(bad.map((o) => o.code))].join(', ')}`
      : `no serious kernel events since boot (${text ? text.split('\n').length : 0} lines read)`,
    observations,
  };
}
