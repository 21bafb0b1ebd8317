/**
 * Known signatures in training output and stderr, each mapped to a probable cause, the likely
 * culprit, a suggested action and a finding code. Ordered: the first signature that matches a
 * line wins, so specific ones come before generic ones (a "NCCL WARN ... Connection refused"
 * is a refused connection, not a generic NCCL warning).
 */
import type { Action, Severity } from '../../../core/finding.ts';

/** Who is most likely at fault. */
export const CULPRITS = ['hardware', 'network', 'software', 'user-code'] as const;
export type Culprit = (typeof CULPRITS)[number];

export interface DiagnosisSignature {
  /** Short id; the finding code is `train.diag.<id>`. */
  id: string;
  code: string;
  pattern: RegExp;
  cause: string;
  culprit: Culprit;
  severity: Severity;
  action: Action;
  suggestion: string;
  /** The job is known to have hung (a collective timed out). */
  impliesHang?: boolean;
}

type Sig = Omit<DiagnosisSignature, 'code'>;

const SIGS: Sig[] = [
  {
    id: 'ecc_uncorrectable',
    pattern: /uncorrectable ECC error|cudaErrorECCUncorrectable|ECC_UNCORRECTABLE|double[- ]bit ECC/i,
    cause: 'A GPU reported an uncorrectable ECC memory error.',
    culprit: 'hardware',
    severity: 'fatal',
    action: 'drain',
    suggestion:
      'Drain the node and check the GPU (row remapping, retired pages, Xid 48/63/64/94/95); restart the job elsewhere.',
  },
  {
    id: 'gpu_fallen_off_bus',
    pattern:
      /fallen off the bus|GPU is lost|cudaErrorDevicesUnavailable|Unable to determine the device handle for GPU/i,
    cause: 'A GPU disappeared from the PCIe bus or stopped answering.',
    culprit: 'hardware',
    severity: 'fatal',
    action: 'reboot',
    suggestion: 'Reboot the node; if it recurs, drain it and inspect the GPU, its power and the PCIe link.',
  },
  {
    id: 'xid',
    pattern: /\bX[iI][dD][\s:(]+(?:[^)]*\)\s*:?\s*)?\d{1,3}\b/,
    cause: 'The NVIDIA driver reported an Xid error.',
    culprit: 'hardware',
    severity: 'degraded',
    action: 'inspect-hardware',
    suggestion:
      "Look up the Xid in NVIDIA's catalog (the kernel-log probe judges it per code) and check the node's GPU findings.",
  },
  {
    id: 'nccl_remote_error',
    pattern: /remote process exited or there was a network error|ncclRemoteError|Connection closed by remote peer/i,
    cause: 'A peer process died or the connection to it broke mid-collective.',
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion:
      'Look at the peer rank that died first (its exit and its own diagnosis); check the fabric between them.',
  },
  {
    id: 'nccl_timeout',
    pattern:
      /Watchdog caught collective operation timeout|failure detected by watchdog|NCCL communicator was aborted|collective operation timeout|ProcessGroupNCCL.*timed out/i,
    cause:
      "A collective did not complete within the process group's timeout: one rank stopped (crashed, stuck, or on a broken GPU/link) and the others waited for it.",
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion:
      'Find the rank that did not enter the collective (lowest last step, or a node with hardware findings); check its GPU and fabric before restarting.',
    impliesHang: true,
  },
  {
    id: 'ib_retry_exceeded',
    pattern:
      /transport retry counter exceeded|IBV_WC_RETRY_EXC_ERR|retry counter exceeded|Got completion .*error 12\b/i,
    cause: 'An InfiniBand/RoCE transfer gave up after its retries: a link, port, cable or switch dropped packets.',
    culprit: 'network',
    severity: 'degraded',
    action: 'inspect-hardware',
    suggestion:
      'Check the HCA ports and links of both peers (ib.* findings, symbol errors, link downed); restart without the bad node.',
  },
  {
    id: 'ib_error',
    pattern: /NET\/IB\s*:.*(?:error|failed)|ibv_\w+ failed|ibv_poll_cq error|mlx5.*(?:syndrome|CQE error)/i,
    cause: 'The InfiniBand transport reported an error.',
    culprit: 'network',
    severity: 'degraded',
    action: 'inspect-hardware',
    suggestion: 'Check the HCA, its ports and the fabric (rdma probe findings); restart the job.',
  },
  {
    id: 'nccl_system_error',
    pattern: /unhandled system error|ncclSystemError/i,
    cause:
      'A system call inside NCCL failed (socket, memory registration): often a node with a broken network interface.',
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion: 'Re-run with NCCL_DEBUG=INFO to find the failing host; check its interfaces and ulimits (memlock).',
  },
  {
    id: 'connection_refused',
    pattern: /Connection refused|ECONNREFUSED/i,
    cause: 'A connection to a peer or the rendezvous store was refused: the peer is down or its network is broken.',
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion:
      'The address in the message names the peer host; check that node (network, agent findings) before restarting.',
  },
  {
    id: 'connection_reset',
    pattern: /Connection reset by peer|ECONNRESET|Broken pipe|EPIPE/i,
    cause: 'A peer closed the connection abruptly (it crashed, or the network dropped).',
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion: 'Look for the peer that exited first; check the fabric between the two hosts.',
  },
  {
    id: 'rendezvous_timeout',
    pattern:
      /RendezvousTimeoutError|RendezvousClosedError|DistNetworkError|The client socket has timed out|Timed out initializing process group/i,
    cause: 'Ranks could not meet at start-up (rendezvous or store timed out).',
    culprit: 'network',
    severity: 'degraded',
    action: 'restart-job',
    suggestion:
      'Check that every node started and can reach the master address/port; a missing node is the usual culprit.',
  },
  {
    id: 'gpu_memory_held',
    pattern: /Process \d+ has [\d.]+ [GMK]iB memory in use/,
    cause: 'Another process holds memory on this GPU (a leftover or zombie run), so this one ran out.',
    culprit: 'software',
    severity: 'degraded',
    action: 'restart-job',
    suggestion: 'Kill the stray process named in the message (or reset the GPU) before restarting.',
  },
  {
    id: 'cuda_oom',
    pattern:
      /CUDA out of memory|torch\.(?:cuda\.)?OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation|HIP out of memory/i,
    cause: 'The GPU ran out of memory.',
    culprit: 'user-code',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Lower the micro-batch size or sequence length, enable activation checkpointing, or shard more.',
  },
  {
    id: 'cuda_illegal_address',
    pattern: /illegal memory access|cudaErrorIllegalAddress|misaligned address|an illegal instruction was encountered/i,
    cause: 'A kernel touched memory it should not (a software bug, or a GPU fault reported as Xid 13/31).',
    culprit: 'software',
    severity: 'degraded',
    action: 'restart-job',
    suggestion:
      'If it repeats on the same GPU, suspect the hardware (check its Xid findings); otherwise run with CUDA_LAUNCH_BLOCKING=1.',
  },
  {
    id: 'cuda_device_assert',
    pattern: /device-side assert triggered|cudaErrorAssert/i,
    cause: 'A device-side assertion failed (e.g. an index out of range in an embedding or a loss).',
    culprit: 'user-code',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Run with CUDA_LAUNCH_BLOCKING=1 to find the failing op; check labels and vocabulary sizes.',
  },
  {
    id: 'cuda_launch_failure',
    pattern: /unspecified launch failure|cudaErrorLaunchFailure|CUDA error: (?:an? )?unknown error/i,
    cause: 'A CUDA kernel failed without detail; often a GPU fault (Xid 13/31/43) or a driver problem.',
    culprit: 'hardware',
    severity: 'degraded',
    action: 'inspect-hardware',
    suggestion: "Check the node's Xid findings for that GPU; if there are none, treat it as software and retry.",
  },
  {
    id: 'cuda_driver_mismatch',
    pattern:
      /CUDA driver version is insufficient|forward compatibility was attempted|no CUDA-capable device is detected/i,
    cause: 'The CUDA runtime cannot use the driver (version mismatch, or no GPU visible in the container).',
    culprit: 'software',
    severity: 'degraded',
    action: 'none',
    suggestion:
      'Check the driver version on the node against the container CUDA version, and the device visibility settings.',
  },
  {
    id: 'nccl_invalid_usage',
    pattern: /ncclInvalidUsage|invalid usage \(run with NCCL_DEBUG|no algorithm\/protocol available/i,
    cause: 'NCCL was used or configured wrongly (an NCCL_ALGO/NCCL_PROTO setting that does not fit, or API misuse).',
    culprit: 'user-code',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Remove forced NCCL_ALGO/NCCL_PROTO settings or fix the call named in the message.',
  },
  {
    id: 'nccl_internal_error',
    pattern: /ncclInternalError|internal error - please report this issue to the NCCL developers/i,
    cause: 'NCCL hit an internal error.',
    culprit: 'software',
    severity: 'degraded',
    action: 'restart-job',
    suggestion: 'Check the NCCL version against the driver and plugin (aws-ofi-nccl, SHARP); upgrade if it repeats.',
  },
  {
    id: 'address_in_use',
    pattern: /Address already in use|EADDRINUSE/i,
    cause: 'A port this job needs is taken, often by a leftover process of an earlier run.',
    culprit: 'software',
    severity: 'warn',
    action: 'none',
    suggestion: 'Look for stray processes from an earlier run on this node.',
  },
  {
    id: 'segfault',
    pattern: /Segmentation fault|SIGSEGV|Signal 11\b|signal 11 \(SIGSEGV\)/i,
    cause: 'A process crashed with a segmentation fault (a native extension, the data loader, or bad memory).',
    culprit: 'software',
    severity: 'degraded',
    action: 'restart-job',
    suggestion: 'Get a core dump or faulthandler trace; if it only happens on one node, check its host memory (EDAC).',
  },
  {
    id: 'host_oom',
    pattern:
      /Out of memory: Killed process|oom-kill:|Killed process \d+ .*total-vm|DataLoader worker \(pid \d+\) is killed by signal: Killed/i,
    cause: 'The host ran out of memory and the kernel killed a process.',
    culprit: 'user-code',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Reduce data-loader workers or prefetch, pinned memory, or host-side buffers.',
  },
  {
    id: 'loss_scale_underflow',
    pattern:
      /Current loss scale already at minimum|Minimum loss scale reached|loss scale.*(?:underflow|below minimum)/i,
    cause: 'fp16 loss scaling hit its minimum: gradients keep overflowing, the run is diverging.',
    culprit: 'user-code',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Roll back to an earlier checkpoint, lower the learning rate, or switch to bf16.',
  },
  {
    id: 'storage_error',
    pattern: /No space left on device|Disk quota exceeded|Stale file handle|ENOSPC|EDQUOT/i,
    cause: 'Writing to storage failed (full disk, quota, or a stale network file system handle).',
    culprit: 'software',
    severity: 'degraded',
    action: 'none',
    suggestion: 'Free space or raise the quota on the checkpoint/output path; check the file system mount.',
  },
  {
    id: 'slurm_node_fail',
    pattern: /CANCELLED AT \S+ DUE TO NODE FAILURE|slurmstepd: error: .*(?:Node failure|NODE_FAIL)/i,
    cause: 'Slurm cancelled the job because a node failed.',
    culprit: 'hardware',
    severity: 'degraded',
    action: 'inspect-hardware',
    suggestion: 'Find the failed node in slurmctld logs (sinfo -R) and check its findings.',
  },
  {
    id: 'slurm_time_limit',
    pattern: /CANCELLED AT \S+ DUE TO TIME LIMIT/i,
    cause: 'The job reached its Slurm time limit.',
    culprit: 'user-code',
    severity: 'info',
    action: 'none',
    suggestion: 'Resume from the last checkpoint; raise the time limit or checkpoint more often.',
  },
  {
    id: 'slurm_cancelled',
    pattern: /slurmstepd: error: \*\*\* (?:STEP|JOB) \S+ ON \S+ CANCELLED AT/,
    cause: 'The job or step was cancelled (scancel, a preemption, or a dependency).',
    culprit: 'user-code',
    severity: 'info',
    action: 'none',
    suggestion: 'Nothing to repair: someone or something cancelled it.',
  },
  {
    id: 'nccl_corrupted_comm',
    pattern: /corrupted comm object detected/i,
    cause: 'NCCL found a communicator already destroyed or corrupted (a teardown order bug).',
    culprit: 'software',
    severity: 'warn',
    action: 'none',
    suggestion: 'Destroy process groups before exit and do not use communicators after destroy_process_group().',
  },
  {
    id: 'nccl_warn',
    pattern: /\bNCCL WARN\b/,
    cause: 'NCCL printed a warning.',
    culprit: 'software',
    severity: 'warn',
    action: 'none',
    suggestion: 'Read the message; warnings right before a failure usually name the host and peer at fault.',
  },
];

/** Every signature, in matching order. */
export const DIAGNOSIS_SIGNATURES: readonly DiagnosisSignature[] = SIGS.map((s) => ({
  ...s,
  code: `train.diag.${s.id}`,
}));
