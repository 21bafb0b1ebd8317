/** Diagnosis: each known signature on a real-format line, ordering, ranks/hosts, teardown. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_SIGNATURES } from './catalog.ts';
import { DiagnosisMatcher, diagnoseText, diagnosisObservation, matchLine } from './match.ts';
import { parseTorchrunFailures } from './torchrun.ts';

const FIX = path.resolve(import.meta.dirname, '../../../test/fixtures/training');

describe('diagnosis catalog', () => {
  it.each([
    [
      '[rank0]:[E520 06:31:05.05 ProcessGroupNCCL.cpp:757] [Rank 0] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=3)',
      'nccl_timeout',
    ],
    [
      'RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:825, unhandled system error, NCCL version 2.7.8',
      'nccl_system_error',
    ],
    ['NCCL error: remote process exited or there was a network error, NCCL version 2.21.5', 'nccl_remote_error'],
    [
      'r11i6n2:486514:486651 [1] include/socket.h:403 NCCL WARN Connect to 10.148.3.247<56821> failed : Connection refused',
      'connection_refused',
    ],
    [
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 170.00 MiB. GPU 5 has a total capacity of 178.35 GiB',
      'cuda_oom',
    ],
    ['GPU 5 of which 81.44 MiB is free. Process 540791 has 100.14 GiB memory in use.', 'gpu_memory_held'],
    ['RuntimeError: CUDA error: an illegal memory access was encountered', 'cuda_illegal_address'],
    [
      'RuntimeError: transform: failed to synchronize: cudaErrorECCUncorrectable: uncorrectable ECC error encountered',
      'ecc_uncorrectable',
    ],
    ['[12345.678] NVRM: Xid (PCI:0000:3b:00): 48, pid=1, DBE (0x1)', 'xid'],
    [
      'host:1:2 [0] transport/net_ib.cc:1295 NCCL WARN NET/IB : Got completion from peer with error 12, opcode 0',
      'ib_retry_exceeded',
    ],
    ['ibv_poll_cq: transport retry counter exceeded', 'ib_retry_exceeded'],
    ['ConnectionResetError: [Errno 104] Connection reset by peer', 'connection_reset'],
    ['Fatal Python error: Segmentation fault', 'segfault'],
    [
      '[deepspeed] Current loss scale already at minimum - cannot decrease scale anymore. Exiting run.',
      'loss_scale_underflow',
    ],
    [
      'torch.distributed.DistBackendError: NCCL error in: ..., invalid usage (run with NCCL_DEBUG=WARN for details)',
      'nccl_invalid_usage',
    ],
    ['NCCL WARN Call to bind failed: Address already in use', 'address_in_use'],
    ['slurmstepd: error: *** JOB 1809562 ON r6i5n1 CANCELLED AT 2021-05-23T08:29:53 ***', 'slurm_cancelled'],
    ['slurmstepd: error: *** JOB 42 ON n1 CANCELLED AT 2021-05-23T08:29:53 DUE TO TIME LIMIT ***', 'slurm_time_limit'],
    ['RuntimeError: CUDA error: device-side assert triggered', 'cuda_device_assert'],
    ['OSError: [Errno 28] No space left on device', 'storage_error'],
    ['torch.distributed.elastic.rendezvous.api.RendezvousTimeoutError', 'rendezvous_timeout'],
    ['misc/argcheck.cc:41 NCCL WARN Error: corrupted comm object detected', 'nccl_corrupted_comm'],
    ['misc/socket.cc:581 NCCL WARN ncclSocketSend: socket state (9) is not ready', 'nccl_warn'],
  ])('%s → %s', (line, id) => {
    expect(matchLine(line)?.id).toBe(id);
  });

  it('every signature has a train.diag code, a culprit class and an action', () => {
    for (const s of DIAGNOSIS_SIGNATURES) {
      expect(s.code).toBe(`train.diag.${s.id}`);
      expect(['hardware', 'network', 'software', 'user-code']).toContain(s.culprit);
    }
    expect(new Set(DIAGNOSIS_SIGNATURES.map((s) => s.id)).size).toBe(DIAGNOSIS_SIGNATURES.length);
  });

  it('ordinary training output matches nothing', () => {
    for (const l of [
      ' iteration       30/    1000 | lm loss: 2.648119E+01 | number of nan iterations:   0 |',
      '[rank0]:NCCL version 2.29.7+cuda13.1',
      'r1:1:1 [0] NCCL INFO Connected all rings',
      "{'loss': 2.5, 'learning_rate': 4e-05}",
      'WARNING: destroy_process_group() was not called before program exit',
    ]) {
      expect(matchLine(l)).toBeUndefined();
    }
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void diagnoseText(s)));
  });
});

describe('DiagnosisMatcher', () => {
  it('counts repeats, keeps ranks and hosts, worst first', () => {
    const ds = diagnoseText(readFileSync(path.join(FIX, 'diag-mixed-failures.log'), 'utf8'));
    expect(ds.map((d) => d.signature.id)).toEqual([
      'gpu_fallen_off_bus',
      'nccl_timeout',
      'ib_retry_exceeded',
      'cuda_illegal_address',
      'cuda_oom',
      'nccl_remote_error',
      'segfault',
      'connection_reset',
    ]);
    expect(ds[1]?.ranks).toEqual([3]);
    expect(ds[2]?.hosts).toEqual(['gpu-node-07']);
  });

  it('after "Training completed", warnings are teardown noise (info)', () => {
    const m = new DiagnosisMatcher();
    m.push('[rank0]:[titan] 2026 - root - INFO - Training completed');
    const d = m.push(
      '[rank0]:[2026-05-19 22:43:20] devgpu020:1:1 [0] misc/socket.cc:581 NCCL WARN ncclSocketSend: socket state (9) is not ready',
    );
    expect(d?.teardown).toBe(true);
    const o = diagnosisObservation('j', d!);
    expect(o).toMatchObject({ code: 'train.diag.nccl_warn', severity: 'info', action: 'none', component: 'job:j' });
    expect(o.message).toMatch(/host devgpu020/);
  });
});

describe('parseTorchrunFailures', () => {
  it('reads each failed rank and the root cause', () => {
    const text = `Failures:
[1]:
  time      : 2026-05-20_06:32:05
  host      : devgpu020.example
  rank      : 2 (local_rank: 2)
  exitcode  : -6 (pid: 2763832)  (SIGABRT)
Root Cause (first observed failure):
[0]:
  time      : 2026-05-20_06:32:05
  host      : devgpu020.example
  rank      : 1 (local_rank: 1)
  exitcode  : 1 (pid: 2763828)
  error_file: <N/A>`;
    expect(parseTorchrunFailures(text.split('\n'))).toEqual([
      {
        rank: 2,
        localRank: 2,
        exitCode: -6,
        pid: 2763832,
        signal: 'SIGABRT',
        host: 'devgpu020.example',
        rootCause: false,
      },
      { rank: 1, localRank: 1, exitCode: 1, pid: 2763828, host: 'devgpu020.example', rootCause: true },
    ]);
  });
});
