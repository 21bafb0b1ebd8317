/**
 * Pure rules for the GPU driver stack: kernel modules that should be loaded beside `nvidia`,
 * the kernel module's version against the user-space (NVML) version, and the fabric manager
 * on NVSwitch systems.
 */
import { capEvidence, type Observation } from '../../core/finding.ts';
import type { KernelModule, NvidiaKernelModule, SmiHeader } from './parse.ts';

/** Peer-memory modules that give GPUDirect RDMA (the in-tree nvidia_peermem or the older nv_peer_mem). */
const PEERMEM = ['nvidia_peermem', 'nv_peer_mem'];
/** Modules whose presence means an RDMA (InfiniBand / RoCE) stack is loaded. */
const RDMA = ['ib_core', 'mlx5_ib'];

/** `driver.module.missing` when nvidia is loaded but nvidia_uvm is not, or RDMA is loaded without a peer-memory module. */
export function evaluateModules(modules: readonly KernelModule[]): Observation[] {
  const loaded = new Set(modules.map((m) => m.name));
  if (!loaded.has('nvidia')) return [];
  const missing: string[] = [];
  let degraded = false;
  if (!loaded.has('nvidia_uvm'))
    missing.push(
      'nvidia_uvm (CUDA loads it on first use; absent means no CUDA program ran since boot or loading it failed)',
    );
  const rdma = RDMA.some((m) => loaded.has(m));
  if (rdma && !PEERMEM.some((m) => loaded.has(m))) {
    missing.push('nvidia_peermem or nv_peer_mem (GPUDirect RDMA; NCCL falls back to staging through host memory)');
    degraded = true;
  }
  if (missing.length === 0) return [];
  const names = missing.map((m) => m.split(' ')[0]).join(', ');
  return [
    {
      code: 'driver.module.missing',
      component: 'driver',
      severity: degraded ? 'degraded' : 'warn',
      action: 'none',
      kind: 'condition',
      message: `nvidia is loaded but ${missing.join('; ')} is not`,
      evidence: capEvidence(
        `loaded: ${[...loaded].filter((m) => /^(nvidia|nv_|ib_core|mlx5)/.test(m)).join(',')}; missing: ${names}`,
      ),
    },
  ];
}

/** `driver.version.mismatch` when NVML refuses to start or its version differs from the kernel module's. */
export function evaluateVersionMismatch(
  kernel: NvidiaKernelModule | undefined,
  smi: SmiHeader | undefined,
): Observation[] {
  if (!smi) return [];
  const base = {
    code: 'driver.version.mismatch',
    component: 'driver',
    severity: 'fatal' as const,
    action: 'reboot' as const,
    kind: 'condition' as const,
  };
  if (smi.mismatchLine) {
    const versions = [
      kernel ? `kernel module ${kernel.version}` : undefined,
      smi.nvmlVersion ? `NVML ${smi.nvmlVersion}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return [
      {
        ...base,
        message: `NVML refuses to start: driver/library version mismatch${versions ? ` (${versions})` : ''}; the driver was upgraded without a reboot`,
        evidence: capEvidence(smi.mismatchLine),
      },
    ];
  }
  if (kernel && smi.driverVersion && smi.driverVersion !== kernel.version) {
    return [
      {
        ...base,
        message: `loaded kernel module ${kernel.version} differs from the user-space driver ${smi.driverVersion}`,
        evidence: capEvidence(`${kernel.line} | nvidia-smi Driver Version: ${smi.driverVersion}`),
      },
    ];
  }
  return [];
}

/** `driver.fabricmanager.down` on an NVSwitch system whose fabric manager is not active (undefined state = unknown, no finding). */
export function evaluateFabricManager(nvswitchCount: number, state: string | undefined): Observation[] {
  if (nvswitchCount === 0 || state === undefined || state === 'active') return [];
  const starting = state === 'activating' || state === 'reloading';
  return [
    {
      code: 'driver.fabricmanager.down',
      component: 'driver',
      severity: starting ? 'warn' : 'fatal',
      action: starting ? 'none' : 'drain',
      kind: 'condition',
      message: starting
        ? `nvidia-fabricmanager is ${state} on a system with ${nvswitchCount} NVSwitches`
        : `nvidia-fabricmanager is ${state} on a system with ${nvswitchCount} NVSwitches: CUDA cannot use the GPUs until it runs`,
      evidence: `systemctl is-active nvidia-fabricmanager: ${state}`,
    },
  ];
}
