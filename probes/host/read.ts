/**
 * Reads host facts through systeminformation's asynchronous calls only (mem() and fsSize()
 * shell out asynchronously; graphics() and networkInterfaces() would block and are not used).
 */
import { cpus, loadavg } from 'node:os';
import si from 'systeminformation';
import type { HostRaw } from './parse.ts';

/** One reading of the host. */
export async function readHost(): Promise<HostRaw> {
  const [mem, fsSize] = await Promise.all([si.mem(), si.fsSize()]);
  return { mem, fsSize, loadavg: loadavg(), cpus: cpus().length };
}
