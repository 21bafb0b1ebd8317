/**
 * Root-cause attribution: which category a finding code points at, and which of an incident's
 * findings is its root. Pure. Symptoms (a hang, a slowdown, a lost node) say that training
 * suffers, not why; they name the category only when nothing more specific was seen.
 */
import type { IncidentCategory } from './types.ts';

/** What a code says about the cause: a category, or only that training suffers. */
export type CodeCause = { category: IncidentCategory; symptom: boolean };

/** Xids that are GPU memory (ECC, row remapping, page retirement) per NVIDIA's Xid catalog. */
const XID_MEMORY = new Set([48, 63, 64, 92, 94, 95, 140]);
/** Xids of NVLink and the NVSwitch fabric. */
const XID_NVLINK = new Set([74, 144, 145, 146, 147, 148, 149, 150]);
/** Xids NVIDIA lists as usually caused by the application (exceptions, illegal access, stopped processing). */
const XID_USER = new Set([13, 31, 43]);
/** Xids from the driver's own state rather than the hardware (preemptive cleanup after another fault). */
const XID_SOFTWARE = new Set([45]);

/** Categories of the training monitor's diagnosis signatures (`train.diag.<id>`). */
const DIAGNOSIS: Record<string, IncidentCategory> = {
  ecc_uncorrectable: 'gpu-memory',
  gpu_fallen_off_bus: 'gpu',
  xid: 'gpu',
  cuda_launch_failure: 'gpu',
  nccl_remote_error: 'network',
  nccl_timeout: 'network',
  ib_retry_exceeded: 'network',
  ib_error: 'network',
  nccl_system_error: 'network',
  connection_refused: 'network',
  connection_reset: 'network',
  rendezvous_timeout: 'network',
  nccl_corrupted_comm: 'network',
  nccl_warn: 'network',
  gpu_memory_held: 'software',
  cuda_driver_mismatch: 'software',
  nccl_internal_error: 'software',
  address_in_use: 'software',
  segfault: 'software',
  cuda_oom: 'user-code',
  cuda_illegal_address: 'user-code',
  cuda_device_assert: 'user-code',
  nccl_invalid_usage: 'user-code',
  host_oom: 'user-code',
  loss_scale_underflow: 'user-code',
  slurm_time_limit: 'user-code',
  slurm_cancelled: 'user-code',
  storage_error: 'storage',
  slurm_node_fail: 'host',
};

/** Training symptoms: they show that the job suffers, not why. */
const SYMPTOMS = new Set(['train.hang', 'train.hang.suspect', 'train.slow', 'train.straggler', 'train.exit']);

/** The category a finding code points at. */
export function causeOf(code: string): CodeCause {
  const cause = (category: IncidentCategory, symptom = false): CodeCause => ({ category, symptom });
  if (SYMPTOMS.has(code)) return cause('unknown', true);
  if (code === 'node.lost') return cause('host', true);
  const xid = /^gpu\.xid\.(\d+)$/.exec(code);
  if (xid) {
    const n = Number(xid[1]);
    if (XID_MEMORY.has(n)) return cause('gpu-memory');
    if (XID_NVLINK.has(n)) return cause('nvlink');
    if (XID_USER.has(n)) return cause('user-code');
    if (XID_SOFTWARE.has(n)) return cause('software');
    return cause('gpu');
  }
  const diag = /^train\.diag\.(.+)$/.exec(code);
  if (diag) return cause(DIAGNOSIS[diag[1]!] ?? 'unknown');
  if (code.startsWith('train.loss.')) return cause('user-code');
  if (/^gpu\.(ecc|retired_pages|rowremap)\./.test(code)) return cause('gpu-memory');
  if (/^(gpu\.(nvlink|fabric)|nvswitch)\./.test(code)) return cause('nvlink');
  if (code.startsWith('gpu.')) return cause('gpu');
  if (/^(ib|rdma|net)\./.test(code)) return cause('network');
  if (/^(nvme|mount|storage|ckpt)\./.test(code)) return cause('storage');
  if (/^(host|kernel)\./.test(code)) return cause('host');
  if (code.startsWith('driver.')) return cause('software');
  return cause('unknown');
}

/** A finding as the root-cause choice needs it. */
export interface CauseCandidate {
  code: string;
  severity: 'info' | 'warn' | 'degraded' | 'fatal';
  firstSeen: number;
}

const RANK = { info: 0, warn: 1, degraded: 2, fatal: 3 } as const;

/**
 * The root among an incident's findings: a cause beats a symptom, a known category beats
 * `unknown`, then the worse severity, then the earlier finding. Undefined for none.
 */
export function rootCause(findings: readonly CauseCandidate[]): (CauseCandidate & CodeCause) | undefined {
  let best: (CauseCandidate & CodeCause) | undefined;
  const score = (c: CauseCandidate & CodeCause) => [
    c.symptom ? 0 : 1,
    c.category === 'unknown' ? 0 : 1,
    RANK[c.severity],
  ];
  for (const f of findings) {
    const c = { ...f, ...causeOf(f.code) };
    if (!best) {
      best = c;
      continue;
    }
    const a = score(c);
    const b = score(best);
    const cmp = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]! || best.firstSeen - c.firstSeen;
    if (cmp > 0) best = c;
  }
  return best;
}
