/**
 * Every finding code the driver area can emit (the probe's local rules and the cross-node
 * drift check the collector runs), with its worst severity, action and meaning.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';

/** One catalog row. */
export interface DriverCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

/** The driver area's finding codes. */
export const driverCatalog: readonly DriverCatalogEntry[] = [
  {
    code: 'driver.module.missing',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'nvidia is loaded but a companion module is not: nvidia_uvm (warn; CUDA loads it on first use) or, on a host with an RDMA stack (ib_core/mlx5_ib), nvidia_peermem / nv_peer_mem (degraded: no GPUDirect RDMA, NCCL stages through host memory).',
  },
  {
    code: 'driver.version.mismatch',
    severity: 'fatal',
    action: 'reboot',
    kind: 'condition',
    meaning:
      'NVML reports "Driver/library version mismatch", or the loaded kernel module version (/proc/driver/nvidia/version) differs from the user-space driver nvidia-smi reports: the driver was upgraded without a reboot and CUDA jobs fail to start.',
  },
  {
    code: 'driver.fabricmanager.down',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning:
      'NVSwitches are present but systemctl reports nvidia-fabricmanager not active (warn while activating): CUDA cannot initialise the GPUs of an NVSwitch system without it.',
  },
];
