/**
 * Conformance of the training-log analyzer with real captures in ../shared/corpus/training-logs
 * and ../shared/corpus/nccl: every file has a written-down expected outcome (watchdog timeout →
 * hang + diagnosis, loss spikes → spike, healthy runs → nothing degraded or fatal), and a file
 * without an entry fails, so new corpus files are noticed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainingAnalyzers } from '../../agent/training/analyzer.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus');
const NOW = Date.UTC(2025, 5, 1);

interface Expectation {
  /** Whether the training-log analyzer recognises the file (nccl-tests tables are not training logs). */
  sniff: boolean;
  /** Exactly the set of codes it produces. */
  codes: string[];
  /** Severities of some codes. */
  severities?: Record<string, string>;
  /** Nothing degraded or fatal. */
  healthy?: boolean;
}

const EXPECTED: Record<string, Record<string, Expectation>> = {
  'training-logs': {
    'bigscience_bloom176b_a100_loss-spike_iter31219.log': { sniff: true, codes: ['train.loss.spike'] },
    // lm loss 12.4 → 44.2 at iteration 3 (then divergence): one spike, early-run rule.
    'bigscience_megatron-ds_v100_loss-divergence.log': { sniff: true, codes: ['train.loss.spike'] },
    'bigscience_megatron_v100_skipped-iters_loss-spike_slurm-cancel.log': {
      sniff: true,
      codes: ['train.loss.spike', 'train.diag.slurm_cancelled'],
      severities: { 'train.diag.slurm_cancelled': 'info' },
    },
    'bigscience_tr1-13b_crash_cuda-uncorrectable-ECC.log': {
      sniff: true,
      codes: ['train.diag.ecc_uncorrectable'],
      severities: { 'train.diag.ecc_uncorrectable': 'fatal' },
    },
    'bigscience_tr1-13b_v100_loss-spike_loss-scale-drop.log': { sniff: true, codes: ['train.loss.spike'] },
    'dgxc_nccl-watchdog-timeout_gb200_rank368.log': {
      sniff: true,
      codes: ['train.hang', 'train.diag.nccl_timeout'],
      severities: { 'train.hang': 'degraded' },
    },
    'ezpz_hf-trainer_llama3.2-1b_fsdp_24xaurora_first-11-steps.log': { sniff: true, codes: [], healthy: true },
    'torchtitan_qwen3-14b_8xb200_every-step.log': { sniff: true, codes: [], healthy: true },
    'torchtitan_qwen3-14b_8xb200_healthy.log': { sniff: true, codes: [], healthy: true },
    'torchtitan_qwen3-14b_8xb200_nccl-watchdog-timeout_allgather.log': {
      sniff: true,
      codes: ['train.hang', 'train.exit', 'train.diag.nccl_timeout'],
    },
    'torchtitan_qwen3-14b_8xb200_oom_gpu-memory-held-by-other-process.log': {
      sniff: true,
      codes: ['train.exit', 'train.diag.gpu_memory_held', 'train.diag.address_in_use'],
    },
  },
  nccl: {
    'aws_all_reduce_perf_2x-p4de_a100_efa.txt': { sniff: false, codes: [], healthy: true },
    'aws_all_reduce_perf_2x-p5_h100_efa.txt': { sniff: false, codes: [], healthy: true },
    'aws_all_reduce_perf_mpirun-prefixed_p5_h100.txt': { sniff: false, codes: [], healthy: true },
    'bigscience_nccl-info-init_torch-allreduce-bench_4x8-a100-opa.log': { sniff: true, codes: [], healthy: true },
    'bigscience_nccl-warn_connect-refused.txt': {
      sniff: true,
      codes: ['train.diag.connection_refused'],
      severities: { 'train.diag.connection_refused': 'degraded' },
    },
    'bigscience_ncclSystemError_barrier.txt': { sniff: true, codes: ['train.diag.nccl_system_error'] },
    'dgxc_all_reduce_perf_8x-h100_healthy.txt': { sniff: false, codes: [], healthy: true },
    'torchtitan_nccl-error_invalid-usage_no-algorithm.log': {
      sniff: true,
      codes: ['train.exit', 'train.diag.nccl_invalid_usage'],
      severities: { 'train.exit': 'degraded' },
    },
    // Training completed; the warnings come at teardown: info only.
    'torchtitan_nccl-warn_corrupted-comm-object.log': {
      sniff: true,
      codes: ['train.diag.nccl_corrupted_comm'],
      severities: { 'train.diag.nccl_corrupted_comm': 'info' },
      healthy: true,
    },
    'torchtitan_nccl-warn_socket-not-ready_deregister-ipc-failed.log': {
      sniff: true,
      codes: ['train.diag.nccl_warn'],
      severities: { 'train.diag.nccl_warn': 'info' },
      healthy: true,
    },
  },
};

const [analyzer] = trainingAnalyzers;

for (const [folder, expected] of Object.entries(EXPECTED)) {
  const dir = path.join(CORPUS, folder);
  describe.skipIf(!existsSync(dir))(`training-log conformance: ${folder}`, () => {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];

    it('has an expectation for every corpus file', () => {
      expect(files.filter((f) => !(f in expected))).toEqual([]);
    });

    it.each(files)('%s', (file) => {
      const exp = expected[file];
      if (!exp || !analyzer) throw new Error(`no expectation written down for ${file}`);
      const text = readFileSync(path.join(dir, file), 'utf8');
      expect(analyzer.sniff(text.slice(0, 65_536))).toBe(exp.sniff);
      const obs = analyzer.analyze(text, NOW);
      expect([...new Set(obs.map((o) => o.code))].sort()).toEqual([...exp.codes].sort());
      for (const [code, sev] of Object.entries(exp.severities ?? {})) {
        expect(obs.find((o) => o.code === code)?.severity).toBe(sev);
      }
      if (exp.healthy) expect(obs.filter((o) => o.severity === 'degraded' || o.severity === 'fatal')).toEqual([]);
    });
  });
}
