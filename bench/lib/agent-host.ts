/**
 * A whole simulated GPU host on disk for running a real agent with every probe: one sys/proc/dev
 * root assembled from the probes' fixtures (EDAC, InfiniBand, NVMe, NVIDIA driver and NVSwitch),
 * the real kernel log (/dev/kmsg) and /dev/shm, and a bin folder of stand-ins printing
 * real-format captures (nvidia-smi from test/fakes, nvme, chronyc, systemctl, ofed_info).
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h100Node, writeSysfs } from '../../test/fixtures/rdma/sysfs-gen.ts';
import { REPO_ROOT } from './compiled-build.ts';

const fx = (p: string) => join(REPO_ROOT, 'test/fixtures', p);

export interface SimulatedHost {
  dir: string;
  roots: { sys: string; proc: string; dev: string };
  /** Environment for the agent: PATH with the stand-ins first, and the fake nvidia-smi's capture. */
  env: Record<string, string>;
  remove(): void;
}

function tool(bin: string, name: string, script: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** Build the host under a fresh temporary folder. */
export async function createSimulatedHost(): Promise<SimulatedHost> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-host-'));
  const roots = { sys: join(dir, 'sys'), proc: join(dir, 'proc'), dev: join(dir, 'dev') };
  // sys: EDAC memory controllers, NVMe controllers, 8 NDR InfiniBand ports
  cpSync(fx('host-hw/edac-2mc-clean/sys'), roots.sys, { recursive: true });
  cpSync(fx('nvme/h100-2ctrl/sys'), roots.sys, { recursive: true });
  await writeSysfs(roots.sys, h100Node());
  // proc: mounts and boot id, then the NVIDIA driver, NVSwitch and module list of an HGX H100
  cpSync(fx('host-hw/edac-2mc-clean/proc'), roots.proc, { recursive: true });
  cpSync(fx('driver/hgx-h100-nvswitch/proc'), roots.proc, { recursive: true });
  writeFileSync(join(roots.proc, 'uptime'), '86400.00 170000.00\n');
  // dev: the real kernel log and shm, NVSwitch nodes, NVMe controllers
  cpSync(fx('driver/hgx-h100-nvswitch/dev'), roots.dev, { recursive: true });
  symlinkSync('/dev/kmsg', join(roots.dev, 'kmsg'));
  symlinkSync('/dev/shm', join(roots.dev, 'shm'));
  for (const n of ['nvme0', 'nvme1']) writeFileSync(join(roots.dev, n), '');
  // bin: stand-ins for the tools the probes run
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  tool(
    bin,
    'nvme',
    `case "$1" in
  list) exec cat '${fx('nvme/nvmecli1-list-flat_2x-pm9a3.json')}' ;;
  smart-log) exec cat '${fx('nvme/nvmecli1-smart-log_pm9a3_healthy.json')}' ;;
esac
exit 1`,
  );
  tool(bin, 'chronyc', `exec cat '${fx('host-hw/chrony/tracking_synced.txt')}'`);
  tool(bin, 'timedatectl', `exec cat '${fx('host-hw/timedatectl/show_synced.txt')}'`);
  tool(bin, 'ofed_info', `exec cat '${fx('driver/ofed/ofed_info-s_mlnx-ofed-23.10.txt')}'`);
  tool(bin, 'systemctl', 'echo active');
  return {
    dir,
    roots,
    env: {
      PATH: `${bin}:${join(REPO_ROOT, 'test/fakes')}:${process.env.PATH ?? ''}`,
      KEELSON_FAKE_SMI_XML: fx('gpu/h100-8gpu-healthy.xml'),
      KEELSON_FAKE_SMI_CSV: fx('gpu/h100-8gpu-query-healthy.csv'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
