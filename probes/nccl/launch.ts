/**
 * Pure builders of the argument arrays that launch network tests the way a site launches
 * multi-node jobs: `mpirun` (Open MPI) or `srun` (Slurm) running nccl-tests' all_reduce_perf
 * across a node list, and an `ib_write_bw` server/client pair. Argument arrays only — never a
 * shell string; the caller runs them with a timeout.
 */

/** How to start all_reduce_perf across nodes. */
export interface NcclLaunchConfig {
  launcher: 'mpirun' | 'srun';
  /** The launcher executable (default `mpirun` / `srun`). */
  launcherPath?: string;
  /** Path of all_reduce_perf on the nodes. */
  binary: string;
  /** Ranks (GPUs) per node; one GPU per rank (`-g 1`). */
  gpusPerNode: number;
  /** nccl-tests size sweep: -b, -e, -f. Large sizes are what the baseline judges. */
  minBytes: string;
  maxBytes: string;
  stepFactor: number;
  /** -n and -w; -c 1 (check results) is always passed so corruption shows as #wrong. */
  iters: number;
  warmupIters: number;
  /** Environment for every rank (NCCL_IB_HCA, NCCL_SOCKET_IFNAME, UCX_NET_DEVICES, …). */
  env: Record<string, string>;
  /** mpirun only: write the nodes to this hostfile (`<node> slots=<gpus>`) instead of `-H`. */
  hostfile?: string;
  /** Extra launcher arguments, placed before the program (`--mca pml ucx`, `--mpi=pmix`, `--partition=…`). */
  launcherArgs: string[];
}

/** Defaults that suit 8-GPU nodes: 1 GiB–16 GiB, the sizes the baselines judge. */
export const DEFAULT_NCCL_LAUNCH: NcclLaunchConfig = {
  launcher: 'mpirun',
  binary: 'all_reduce_perf',
  gpusPerNode: 8,
  minBytes: '1G',
  maxBytes: '16G',
  stepFactor: 2,
  iters: 20,
  warmupIters: 5,
  env: { NCCL_DEBUG: 'WARN' },
  launcherArgs: [],
};

/** One command to run, and the file it needs written first (a hostfile). */
export interface LaunchCommand {
  command: string;
  args: string[];
  files: { path: string; content: string }[];
}

/**
 * Environment that makes a single node's all-reduce go through its NICs (and the leaf switch)
 * instead of NVLink/shared memory, so a lone node's network can be tested.
 */
export const FORCE_NETWORK_ENV: Readonly<Record<string, string>> = { NCCL_P2P_DISABLE: '1', NCCL_SHM_DISABLE: '1' };

/** all_reduce_perf's own arguments. */
function programArgs(cfg: NcclLaunchConfig): string[] {
  return [
    cfg.binary,
    '-b',
    cfg.minBytes,
    '-e',
    cfg.maxBytes,
    '-f',
    String(cfg.stepFactor),
    '-g',
    '1',
    '-c',
    '1',
    '-n',
    String(cfg.iters),
    '-w',
    String(cfg.warmupIters),
  ];
}

/**
 * The launch of all_reduce_perf over `nodes`. A single node gets FORCE_NETWORK_ENV unless
 * `forceNetwork` is false. `timeoutMs` also becomes the launcher's own limit (mpirun
 * `--timeout`, srun `--time`), a second guard behind the caller's kill.
 */
export function buildAllReduceLaunch(
  nodes: readonly string[],
  cfg: NcclLaunchConfig,
  opts: { timeoutMs?: number; forceNetwork?: boolean } = {},
): LaunchCommand {
  if (nodes.length === 0) throw new RangeError('buildAllReduceLaunch needs at least one node');
  const env = { ...cfg.env, ...(nodes.length === 1 && opts.forceNetwork !== false ? FORCE_NETWORK_ENV : {}) };
  const ranks = nodes.length * cfg.gpusPerNode;
  if (cfg.launcher === 'mpirun') {
    const files = cfg.hostfile
      ? [{ path: cfg.hostfile, content: nodes.map((n) => `${n} slots=${cfg.gpusPerNode}\n`).join('') }]
      : [];
    const where = cfg.hostfile
      ? ['--hostfile', cfg.hostfile]
      : ['-H', nodes.map((n) => `${n}:${cfg.gpusPerNode}`).join(',')];
    const limit = opts.timeoutMs ? ['--timeout', String(Math.max(1, Math.ceil(opts.timeoutMs / 1000)))] : [];
    return {
      command: cfg.launcherPath ?? 'mpirun',
      args: [
        '-np',
        String(ranks),
        ...where,
        '--map-by',
        `ppr:${cfg.gpusPerNode}:node`,
        '--bind-to',
        'numa',
        '--tag-output',
        ...limit,
        ...Object.entries(env).flatMap(([k, v]) => ['-x', `${k}=${v}`]),
        ...cfg.launcherArgs,
        ...programArgs(cfg),
      ],
      files,
    };
  }
  const minutes = opts.timeoutMs ? [`--time=${Math.max(1, Math.ceil(opts.timeoutMs / 60000))}`] : [];
  return {
    command: cfg.launcherPath ?? 'srun',
    args: [
      `--nodes=${nodes.length}`,
      `--ntasks=${ranks}`,
      `--ntasks-per-node=${cfg.gpusPerNode}`,
      `--nodelist=${nodes.join(',')}`,
      `--gpus-per-node=${cfg.gpusPerNode}`,
      '--label',
      ...minutes,
      `--export=${['ALL', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(',')}`,
      ...cfg.launcherArgs,
      ...programArgs(cfg),
    ],
    files: [],
  };
}

/** How to run an ib_write_bw pair. */
export interface IbWriteBwConfig {
  binary: string;
  /** HCA on each node (`-d`). */
  device: string;
  /** GID index for RoCE (`-x`); leave undefined on InfiniBand. */
  gidIndex?: number;
  /** Seconds to run (`-D`), message size (`-s`), queue pairs (`-q`). */
  durationSec: number;
  sizeBytes: number;
  queuePairs: number;
  /** TCP port the server listens on for the connection set-up (`-p`). */
  port: number;
}

export const DEFAULT_IB_WRITE_BW: IbWriteBwConfig = {
  binary: 'ib_write_bw',
  device: 'mlx5_0',
  durationSec: 5,
  sizeBytes: 65536,
  queuePairs: 4,
  port: 18515,
};

/** The server and client commands of one pair; each runs on its own node (through the agent or ssh). */
export function buildIbWriteBwPair(
  server: string,
  client: string,
  cfg: IbWriteBwConfig,
  serverAddress: string = server,
): {
  server: { node: string; command: string; args: string[] };
  client: { node: string; command: string; args: string[] };
} {
  const common = [
    '-d',
    cfg.device,
    '-p',
    String(cfg.port),
    '-D',
    String(cfg.durationSec),
    '-s',
    String(cfg.sizeBytes),
    '-q',
    String(cfg.queuePairs),
    '-F',
    '--report_gbits',
    ...(cfg.gidIndex === undefined ? [] : ['-x', String(cfg.gidIndex)]),
  ];
  return {
    server: { node: server, command: cfg.binary, args: common },
    client: { node: client, command: cfg.binary, args: [...common, serverAddress] },
  };
}
