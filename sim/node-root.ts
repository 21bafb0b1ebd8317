/**
 * One simulated GPU node on disk: a fixture root (sys, proc, dev) laid out exactly as the
 * probes read the real ones — eight H100s on the PCI bus, eight NDR InfiniBand ports, an NVMe
 * drive, the NVIDIA driver's /proc files, a /dev/kmsg stand-in — plus the captures the fake
 * tools print (nvidia-smi XML, nvme JSON). Faults are injected by rewriting these files.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { h100Node, writeSysfs } from './ib-sysfs.ts';

/** Captures shipped with the repository that the simulated nodes start from. */
export const SIM_ASSETS = new URL('../test/fixtures/', import.meta.url).pathname;
/** Folder holding the fake `nvidia-smi` and `nvme`. */
export const SIM_FAKE_BIN = new URL('./fakes/bin/', import.meta.url).pathname;

/** The PCI bus ids of the eight GPUs in the shipped H100 capture. */
export const SIM_GPU_BUS_IDS = ['18', '2a', '3a', '5d', '9a', 'ab', 'ba', 'db'].map((b) => `0000:${b}:00.0`);

/** Where one node's files are. */
export interface SimNodePaths {
  id: string;
  root: string;
  sys: string;
  proc: string;
  dev: string;
  kmsg: string;
  smiXml: string;
  nvmeList: string;
  nvmeSmartDir: string;
  /** Uptime (s) written to proc/uptime when the root was made, and when. */
  uptimeSec: number;
  createdAt: number;
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

/** Lay out a healthy node under `dir`. */
export async function createSimNodeRoot(dir: string, id: string, now: number): Promise<SimNodePaths> {
  const root = join(dir, id);
  const sys = join(root, 'sys');
  const proc = join(root, 'proc');
  const dev = join(root, 'dev');
  const uptimeSec = 86_400;
  await writeSysfs(sys, h100Node());
  for (const bus of SIM_GPU_BUS_IDS) {
    const d = join(sys, 'bus/pci/devices', bus);
    await put(join(d, 'vendor'), '0x10de\n');
    await put(join(d, 'class'), '0x030200\n');
    await put(join(d, 'device'), '0x2330\n');
  }
  const nv = join(sys, 'class/nvme/nvme0');
  await put(join(nv, 'model'), 'SAMSUNG MZQL23T8HCLS-00A07              \n');
  await put(join(nv, 'serial'), `S64HNE0T${id.toUpperCase().padStart(6, '0')}\n`);
  await put(join(nv, 'firmware_rev'), 'GDC5602Q\n');
  await put(join(nv, 'state'), 'live\n');
  await put(join(nv, 'address'), '0000:c1:00.0\n');

  await put(join(proc, 'sys/kernel/random/boot_id'), `${randomUUID()}\n`);
  await put(join(proc, 'uptime'), `${uptimeSec.toFixed(2)} ${(uptimeSec * 100).toFixed(2)}\n`);
  await copyFile(join(SIM_ASSETS, 'driver/proc-modules/h100-ndr_all-loaded.txt'), join(proc, 'modules'));
  await put(join(proc, 'driver/nvidia/version'), '');
  await copyFile(
    join(SIM_ASSETS, 'driver/proc-driver-nvidia-version/h100_535.161.08_proprietary.txt'),
    join(proc, 'driver/nvidia/version'),
  );

  await mkdir(join(dev, 'shm'), { recursive: true });
  const kmsg = join(dev, 'kmsg');
  await writeFile(kmsg, '');

  const smiXml = join(root, 'tools/nvidia-smi.xml');
  await mkdir(join(root, 'tools/nvme-smart'), { recursive: true });
  await copyFile(join(SIM_ASSETS, 'gpu/h100-8gpu-healthy.xml'), smiXml);
  const nvmeList = join(root, 'tools/nvme-list.json');
  await put(
    nvmeList,
    `${JSON.stringify({ Devices: [{ DevicePath: '/dev/nvme0n1', ModelNumber: 'SAMSUNG MZQL23T8HCLS-00A07', SerialNumber: `S64HNE0T${id}`, Firmware: 'GDC5602Q', NameSpace: 1, PhysicalSize: 3840755982336 }] }, null, 2)}\n`,
  );
  const nvmeSmartDir = join(root, 'tools/nvme-smart');
  await copyFile(join(SIM_ASSETS, 'nvme/nvmecli1-smart-log_pm9a3_healthy.json'), join(nvmeSmartDir, 'nvme0.json'));
  return { id, root, sys, proc, dev, kmsg, smiXml, nvmeList, nvmeSmartDir, uptimeSec, createdAt: now };
}

/** Environment for the fake tools of one node. */
export function simToolEnv(n: SimNodePaths): Record<string, string> {
  return {
    PATH: `${SIM_FAKE_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    KEELSON_FAKE_SMI_XML: n.smiXml,
    KEELSON_FAKE_NVME_LIST: n.nvmeList,
    KEELSON_FAKE_NVME_SMART: n.nvmeSmartDir,
  };
}
