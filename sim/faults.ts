/**
 * Faults injected into a simulated node by changing what its probes read, in the real formats:
 * kernel-log records, sysfs port files and counters, nvidia-smi and nvme captures.
 */
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SIM_ASSETS, SIM_GPU_BUS_IDS, type SimNodePaths } from './node-root.ts';

let kmsgSeq = 1000;

/** The monotonic time (µs) a record written now would carry on the node. */
function monotonicUs(n: SimNodePaths, now: number): number {
  return Math.round((n.uptimeSec + (now - n.createdAt) / 1000) * 1e6);
}

/** Append a raw /dev/kmsg record (`prio,seq,usec,-;message`). */
export async function writeKmsg(n: SimNodePaths, message: string, now: number, prio = 3): Promise<void> {
  kmsgSeq += 1;
  await appendFile(n.kmsg, `${prio},${kmsgSeq},${monotonicUs(n, now)},-;${message}\n`);
}

/** An NVRM Xid line for GPU `gpu` (index into the node's GPUs). */
export async function injectXid(n: SimNodePaths, xid: number, gpu: number, now: number, text?: string): Promise<void> {
  const bus = (SIM_GPU_BUS_IDS[gpu] ?? SIM_GPU_BUS_IDS[0]!).slice(0, -2);
  const what = text ?? (xid === 79 ? 'GPU has fallen off the bus.' : 'Graphics Exception');
  await writeKmsg(n, `NVRM: Xid (PCI:${bus}): ${xid}, pid=4242, name=python3, ${what}`, now);
}

/** Take an InfiniBand port down (or bring it up), bumping link_downed as the HCA does. */
export async function setIbPort(n: SimNodePaths, device: string, up: boolean): Promise<void> {
  const port = join(n.sys, 'class/infiniband', device, 'ports/1');
  await writeFile(join(port, 'state'), up ? '4: ACTIVE\n' : '1: DOWN\n');
  await writeFile(join(port, 'phys_state'), up ? '5: LinkUp\n' : '2: Polling\n');
  if (!up) {
    const c = join(port, 'counters/link_downed');
    const v = Number((await readFile(c, 'utf8')).trim()) || 0;
    await writeFile(c, `${Math.min(255, v + 1)}\n`);
  }
}

/** Set the NVMe drive's wear (percentage used) in its smart-log capture. */
export async function setNvmeWear(n: SimNodePaths, percentUsed: number): Promise<void> {
  const path = join(n.nvmeSmartDir, 'nvme0.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  doc.percent_used = percentUsed;
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Make nvidia-smi report a GPU whose row remapping failed (or go back to healthy). */
export async function setGpuRowRemapFailure(n: SimNodePaths, failed: boolean): Promise<void> {
  await copyFile(
    join(SIM_ASSETS, failed ? 'gpu/h100-8gpu-rowremap-failure.xml' : 'gpu/h100-8gpu-healthy.xml'),
    n.smiXml,
  );
}
