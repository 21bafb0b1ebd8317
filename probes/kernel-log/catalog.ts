/**
 * Every finding code the kernel-log probe can emit, with its severity, action and meaning.
 * Xid codes come from the generated NVIDIA XID catalog; settings may override them per code.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';
import { type XidCatalogEntry, xidCatalogEntries } from './xid-catalog.generated.ts';

export { xidCatalogEntries } from './xid-catalog.generated.ts';

/** One catalog line, as the docs are generated from. */
export interface KernelLogCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

/** Non-XID codes (the `gpu.xid.<n>` line points at xidCatalog for the per-code values). */
export const kernelLogCatalog: readonly KernelLogCatalogEntry[] = [
  {
    code: 'gpu.xid.<n>',
    severity: 'warn',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      "NVIDIA driver reported Xid <n> for the GPU at a PCI bus id; severity/action per code from NVIDIA's XID catalog (xidCatalog); unknown codes warn/inspect-hardware. Bursts on one GPU within the burst window count as one.",
  },
  {
    code: 'nvswitch.sxid.<n>',
    severity: 'fatal',
    action: 'drain',
    kind: 'event',
    meaning: 'NVSwitch reported SXid <n>; lines marked Fatal are fatal/drain, Non-fatal ones warn/inspect-hardware.',
  },
  {
    code: 'gpu.fallen_off_bus',
    severity: 'fatal',
    action: 'reboot',
    kind: 'event',
    meaning: 'The NVIDIA driver says a GPU has fallen off the PCIe bus (no Xid 79 line for it in the burst window).',
  },
  {
    code: 'ib.link.down',
    severity: 'info',
    action: 'none',
    kind: 'event',
    meaning:
      'An mlx5 / InfiniBand network link went down (mlx5_core "Link down", "lost carrier"); info only (unused ports go down at boot): the rdma probe judges port state, this feeds flap detection.',
  },
  {
    code: 'ib.link.flap',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'An InfiniBand/mlx5 link changed state at least flapTransitions times within flapWindowSec (cable/transceiver).',
  },
  {
    code: 'nvme.io_timeout',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning: 'An NVMe command timed out ("I/O n QID m timeout").',
  },
  {
    code: 'nvme.reset',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning: 'The kernel reset an NVMe controller.',
  },
  {
    code: 'nvme.removed',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning: 'The kernel removed/disabled an NVMe controller after a probe or reset failure.',
  },
  {
    code: 'kernel.edac.ce',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning: 'Corrected host memory/machine-check error (EDAC CE, corrected MCE/GHES record).',
  },
  {
    code: 'kernel.edac.ue',
    severity: 'fatal',
    action: 'drain',
    kind: 'event',
    meaning: 'Uncorrected host memory/machine-check error (EDAC UE, uncorrected/fatal MCE or GHES record).',
  },
  {
    code: 'kernel.hung_task',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning: 'A task was blocked in D state longer than the hung-task timeout (often stuck storage or NFS/Lustre).',
  },
  {
    code: 'kernel.oom_kill',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning: 'The kernel OOM killer killed a process (system-wide or cgroup).',
  },
  {
    code: 'kernel.fs.error',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      'A filesystem reported an error (EXT4-fs error, XFS corruption/I/O error, BTRFS error); LustreError lines are warn/none.',
  },
  {
    code: 'kernel.fs.readonly',
    severity: 'degraded',
    action: 'reboot',
    kind: 'event',
    meaning: 'A filesystem was remounted read-only or shut down after errors.',
  },
  {
    code: 'kernel.log.unreadable',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning: 'No kernel-log source (/dev/kmsg, journalctl, dmesg) could be read; kernel events are not being watched.',
  },
];

const byCode = new Map(kernelLogCatalog.map((e) => [e.code, e]));

/** The catalog entry for a non-XID code; throws on an unlisted code (a programming error). */
export function catalogEntry(code: string): KernelLogCatalogEntry {
  const e = byCode.get(code);
  if (!e) throw new Error(`kernel-log catalog has no code ${code}`);
  return e;
}

/** NVIDIA's catalog as concrete `gpu.xid.<n>` catalog entries. */
export const xidCatalog: readonly KernelLogCatalogEntry[] = xidCatalogEntries.map((x) => ({
  code: `gpu.xid.${x.xid}`,
  severity: x.severity,
  action: x.action,
  kind: 'event',
  meaning: `${x.mnemonic}: ${x.meaning} (NVIDIA immediate action: ${x.nvidiaImmediate || 'none published'})`,
}));

const xidByCode = new Map<number, XidCatalogEntry>(xidCatalogEntries.map((x) => [x.xid, x]));

/** Per-code overrides from settings: `{ "13": { severity, action } }`. */
export type XidOverrides = Readonly<Record<string, { severity?: Severity | undefined; action?: Action | undefined }>>;

/** What Keelson reports for one Xid code, overrides applied. Unknown codes fall back to warn/inspect-hardware. */
export function resolveXid(
  xid: number,
  overrides: XidOverrides = {},
): { severity: Severity; action: Action; meaning: string; known: boolean } {
  const e = xidByCode.get(xid);
  const base = e
    ? { severity: e.severity, action: e.action, meaning: e.meaning, known: true }
    : {
        severity: 'warn' as Severity,
        action: 'inspect-hardware' as Action,
        meaning: "not in NVIDIA's XID catalog",
        known: false,
      };
  const o = overrides[String(xid)];
  return { ...base, severity: o?.severity ?? base.severity, action: o?.action ?? base.action };
}
