/**
 * Every finding code the gpu area can emit, with its default severity, action and meaning.
 * The rules build their observations from these entries, so the catalog and the code agree.
 * Where a rule may lower or raise an entry's severity/action, the meaning says when.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';

/** One catalog line. */
export interface CatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

const SINGLE =
  ' Judged live as the fraction of samples in a sliding window (a single sample never alerts); a single snapshot in `keelson analyze` reports it as warn.';

/** Every code of the gpu area. */
export const gpuCatalog = [
  {
    code: 'gpu.missing',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning:
      'nvidia-smi lists fewer GPUs than expected (setting expectedCount, else the NVIDIA display/3D controllers in /sys/bus/pci). Never judged from a capture alone.',
  },
  {
    code: 'gpu.smi.missing',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning: 'NVIDIA GPUs are on the PCI bus but nvidia-smi is not installed, so their health cannot be read.',
  },
  {
    code: 'gpu.smi.timeout',
    severity: 'degraded',
    action: 'reboot',
    kind: 'condition',
    meaning: 'nvidia-smi hung past its timeout; usually a GPU or the driver is stuck.',
  },
  {
    code: 'gpu.smi.failed',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning: 'nvidia-smi exited non-zero or printed output that could not be parsed, with no known error message.',
  },
  {
    code: 'gpu.smi.no_devices',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning: 'nvidia-smi says "No devices were found": the driver sees no GPU on a GPU host.',
  },
  {
    code: 'gpu.smi.lost',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning:
      'nvidia-smi cannot get a handle to a GPU ("Unable to determine the device handle ... Unknown Error", "GPU is lost"): it has fallen off the bus; drain, then reboot or replace.',
  },
  {
    code: 'gpu.smi.nvml_init',
    severity: 'fatal',
    action: 'reboot',
    kind: 'condition',
    meaning:
      '"Failed to initialize NVML" (driver/library mismatch, driver not loaded): no GPU on the node is usable until the driver is reloaded or the node rebooted.',
  },
  {
    code: 'gpu.smi.unknown_error',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: 'nvidia-smi printed a bare "Unknown Error" instead of data.',
  },
  {
    code: 'gpu.smi.field_error',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: 'nvidia-smi shows "ERR!" or "Unknown Error" for a field of this GPU (e.g. a fan it cannot read).',
  },
  {
    code: 'gpu.inforom.corrupted',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: 'nvidia-smi warns "infoROM is corrupted": ECC/page-retirement records cannot be kept; reflash or RMA.',
  },
  {
    code: 'gpu.ecc.dbe',
    severity: 'degraded',
    action: 'reset-gpu',
    kind: 'condition',
    meaning:
      'Volatile uncorrectable (double-bit) ECC errors since the last driver load. NVIDIA: the page is retired/remapped only after a GPU reset, and pre-Ampere GPUs accept no new work until then.',
  },
  {
    code: 'gpu.ecc.sbe.rate',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'Correctable (single-bit) ECC errors rising faster than the threshold over the window; memory is degrading. Needs two samples, so never from a single capture.',
  },
  {
    code: 'gpu.retired_pages.pending',
    severity: 'degraded',
    action: 'reset-gpu',
    kind: 'condition',
    meaning: 'Pages are pending retirement (blacklist) and take effect only after a GPU reset or reboot (pre-Ampere).',
  },
  {
    code: 'gpu.retired_pages.limit',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: 'Retired pages (SBE + DBE) reached the limit (default 60 of the 64 a board can retire): an RMA candidate.',
  },
  {
    code: 'gpu.rowremap.pending',
    severity: 'degraded',
    action: 'reset-gpu',
    kind: 'condition',
    meaning: 'A row remapping is pending; NVIDIA: it takes effect at the next GPU reset (Ampere and newer).',
  },
  {
    code: 'gpu.rowremap.failure',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning: 'A row remapping failed (the bank ran out of spare rows): NVIDIA RMA criterion.',
  },
  {
    code: 'gpu.recovery_action',
    severity: 'degraded',
    action: 'reset-gpu',
    kind: 'condition',
    meaning:
      'The driver asks for recovery (gpu_recovery_action not None, or Reset Required / Drain and Reset Recommended). Action follows the flag: Reset → reset-gpu, Reboot → reboot (fatal), Drain P2P / Drain and Reset → drain.',
  },
  {
    code: 'gpu.throttle.hw_slowdown',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: `HW Slowdown clock event reason active (clocks cut by hardware: thermal, power brake or an external signal).${SINGLE}`,
  },
  {
    code: 'gpu.throttle.hw_thermal',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: `HW Thermal Slowdown active: the GPU is overheating and hardware cuts its clocks.${SINGLE}`,
  },
  {
    code: 'gpu.throttle.power_brake',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: `HW Power Brake Slowdown active: the platform (PSU/BMC) asserts the power brake.${SINGLE}`,
  },
  {
    code: 'gpu.throttle.sw_thermal',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning: `SW Thermal Slowdown active: the driver lowers clocks to stay under the thermal limit.${SINGLE}`,
  },
  {
    code: 'gpu.temperature.high',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'GPU temperature within the margin (default 5 °C) of its slowdown threshold (absolute, or T.Limit margin on Hopper/Ada).',
  },
  {
    code: 'gpu.pcie.downtrained',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'PCIe link generation or width below its maximum while the GPU is busy. Idle GPUs lower their link speed to save power, so idle samples are exempt; live it must hold for consecutive samples, a single capture reports warn.',
  },
  {
    code: 'gpu.pcie.replay.rate',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'PCIe replay counter rising faster than the threshold over the window (link errors). A lifetime count in one capture is not judged.',
  },
  {
    code: 'gpu.nvlink.inactive',
    severity: 'degraded',
    action: 'reboot',
    kind: 'condition',
    meaning:
      'NVLink links inactive on a GPU that has NVLink (some links up and others down, or all down on an SXM/HBM part or where other GPUs have links). "Device does not have or support Nvlink" is not a finding.',
  },
  {
    code: 'gpu.fabric.unhealthy',
    severity: 'degraded',
    action: 'reboot',
    kind: 'condition',
    meaning: 'GPU fabric (NVSwitch/IMEX) registration finished without Success, or fabric health is not Healthy.',
  },
  {
    code: 'gpu.persistence.off',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning: 'Persistence mode is off: the driver tears the GPU down between jobs (slow starts, lost state).',
  },
  {
    code: 'gpu.mig.mismatch',
    severity: 'degraded',
    action: 'reset-gpu',
    kind: 'condition',
    meaning: 'MIG mode differs from the configured expectation (setting expectedMig); changing it needs a GPU reset.',
  },
] as const satisfies readonly CatalogEntry[];

/** A code of the gpu area. */
export type GpuCode = (typeof gpuCatalog)[number]['code'];

/** The catalog entry of a code. */
export function catalogEntry(code: GpuCode): CatalogEntry {
  const e = gpuCatalog.find((x) => x.code === code);
  if (!e) throw new Error(`gpu catalog has no ${code}`);
  return e;
}
