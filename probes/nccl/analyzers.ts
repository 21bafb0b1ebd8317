/**
 * `keelson analyze` for network test outputs: nccl-tests (`all_reduce_perf` and friends, with
 * or without srun/mpirun prefixes) judged against the built-in baseline for the GPU and scope
 * named in its device lines, and perftest `ib_write_bw` (errors only offline: the link rate is
 * not in its output). NCCL lines inside training logs (`NCCL WARN` in a torch job) are not
 * claimed here: the training-log analyzers diagnose those.
 */
import type { TextAnalyzer } from '../analyzer.ts';
import { findNcclBaseline, judgeNcclTests, judgePerftest } from './baselines.ts';
import { looksLikeNcclTests, parseNcclTests } from './parse-nccl-tests.ts';
import { looksLikePerftestBw, parsePerftestBw } from './parse-perftest.ts';
import { ncclTestsObservations, perftestObservations } from './rules.ts';

const ncclTests: TextAnalyzer = {
  kind: 'nccl-tests',
  description: 'nccl-tests output (all_reduce_perf, …; srun/mpirun prefixes): errors, wrong results, busbw vs baseline',
  input: 'text',
  sniff: looksLikeNcclTests,
  analyze(text) {
    const record = parseNcclTests(text);
    return ncclTestsObservations(record, judgeNcclTests(record, findNcclBaseline(record)));
  },
};

const ibWriteBw: TextAnalyzer = {
  kind: 'ib_write_bw',
  description: 'perftest ib_write_bw / ib_read_bw / ib_send_bw output: connection and QP errors',
  input: 'text',
  sniff: looksLikePerftestBw,
  analyze(text) {
    const record = parsePerftestBw(text);
    return perftestObservations(record, judgePerftest(record, undefined));
  },
};

/** Analyzers for network test outputs. */
export const ncclAnalyzers: readonly TextAnalyzer[] = [ncclTests, ibWriteBw];
