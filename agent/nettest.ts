/**
 * The agent's side of active network tests: when the collector asks this node to launch one
 * (`net.test`), run nccl-tests through mpirun/srun across the group (or perftest pairs), parse
 * and judge the output against the baseline, and answer with the result. How to launch comes
 * from the `nettest:` config.
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_IB_WRITE_BW, DEFAULT_NCCL_LAUNCH } from '../probes/nccl/launch.ts';
import { createLaunchedTestRunner } from '../probes/nccl/launched-runner.ts';
import type { CommandRunner } from '../probes/runner.ts';

export const nettestConfigSchema = z
  .object({
    launcher: z.enum(['mpirun', 'srun']).default('mpirun'),
    /** Full path of the launcher when it is not on PATH. */
    launcherPath: z.string().min(1).optional(),
    /** nccl-tests all_reduce_perf. */
    binary: z.string().min(1).default('all_reduce_perf'),
    /** perftest ib_write_bw. */
    ibBinary: z.string().min(1).default('ib_write_bw'),
    ibDevice: z.string().min(1).default('mlx5_0'),
    /** How to run a command on another node for perftest pairs, `{node}` replaced. */
    remote: z.array(z.string().min(1)).default(['ssh', '{node}']),
    linkRateGbps: z.number().positive().default(400),
    gpusPerNode: z.number().int().min(1).max(64).default(8),
    /** Environment for the test (NCCL_IB_HCA, NCCL_SOCKET_IFNAME, …). */
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type NettestConfig = z.infer<typeof nettestConfigSchema>;

/** A runner that launches tests the way this site does. */
export function nettestRunner(cfg: NettestConfig, commands: CommandRunner) {
  return createLaunchedTestRunner({
    commands,
    nccl: {
      ...DEFAULT_NCCL_LAUNCH,
      launcher: cfg.launcher,
      ...(cfg.launcherPath ? { launcherPath: cfg.launcherPath } : {}),
      binary: cfg.binary,
      gpusPerNode: cfg.gpusPerNode,
      env: { ...DEFAULT_NCCL_LAUNCH.env, ...cfg.env },
    },
    ib: {
      ...DEFAULT_IB_WRITE_BW,
      binary: cfg.ibBinary,
      device: cfg.ibDevice,
      linkRateGbps: cfg.linkRateGbps,
      remote: cfg.remote,
      serverStartMs: 500,
    },
    writeFile: (p, content) => writeFile(p, content),
    now: () => Date.now(),
  });
}

/** The command's arguments, checked. */
export const netTestArgsSchema = z.object({
  nodes: z.array(z.string().min(1)).min(1).max(4096),
  kind: z.enum(['nccl-allreduce', 'ib-write-bw']),
  timeoutMs: z.number().int().min(1000).max(3_600_000),
});
