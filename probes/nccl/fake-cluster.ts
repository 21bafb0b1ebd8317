/**
 * The simulated cluster behind `keelson bisect --simulate`: a launched test runner whose
 * launcher and binaries are the fakes in sim/fakes/bin (mpirun, all_reduce_perf, ib_write_bw),
 * really spawned, printing real-format output that the real parsers read. Bandwidths come from
 * the fault map file. Needs the source tree (sim/fakes/bin); not for production use.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processRunner } from '../runner.ts';
import { DEFAULT_IB_WRITE_BW, DEFAULT_NCCL_LAUNCH } from './launch.ts';
import { createLaunchedTestRunner, type NetTestKind, type NetTestResult } from './launched-runner.ts';

/** Folder of the fake binaries. */
export const FAKES_DIR = path.resolve(import.meta.dirname, '../../sim/fakes/bin');

/** A runner over the fake binaries, with bandwidths from the fault map at `faultMapPath`. */
export function fakeClusterRunner(
  faultMapPath: string,
  opts: { ibPort?: number; gpusPerNode?: number } = {},
): { runTest(nodes: string[], kind: NetTestKind, timeoutMs: number): Promise<NetTestResult> } {
  return createLaunchedTestRunner({
    commands: processRunner,
    nccl: {
      ...DEFAULT_NCCL_LAUNCH,
      launcherPath: path.join(FAKES_DIR, 'mpirun'),
      binary: path.join(FAKES_DIR, 'all_reduce_perf'),
      gpusPerNode: opts.gpusPerNode ?? 8,
      env: { ...DEFAULT_NCCL_LAUNCH.env, KEELSON_FAKE_FAULTS: faultMapPath },
    },
    ib: {
      ...DEFAULT_IB_WRITE_BW,
      binary: path.join(FAKES_DIR, 'ib_write_bw'),
      port: opts.ibPort ?? 20000 + Math.floor(Math.random() * 20000),
      linkRateGbps: 400,
      remote: ['env', 'KEELSON_FAKE_HOST={node}', `KEELSON_FAKE_FAULTS=${faultMapPath}`],
      serverStartMs: 150,
    },
    writeFile: (p, content) => writeFile(p, content),
    now: () => Date.now(),
  });
}
