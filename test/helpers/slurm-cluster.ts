/**
 * Starts a real Slurm cluster on loopback for tests: munged (key dir 700, socket dir 755),
 * slurmctld and one `slurmd -N gpuNN` per node, all in a temp dir with free ports, all as
 * foreground children that `stop()` terminates. Needs root and Debian's slurm-wlm + munge
 * (scripts/install-test-services.sh).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, tempDir, waitFor } from './processes.ts';

const exec = promisify(execFile);

/** Whether a real Slurm can run here (binaries present and running as root). */
export function slurmAvailable(): boolean {
  return (
    process.getuid?.() === 0 &&
    ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/scontrol', '/usr/bin/sinfo'].every((p) =>
      existsSync(p),
    )
  );
}

export interface SlurmCluster {
  dir: string;
  /** Environment for scontrol/sinfo: { SLURM_CONF }. */
  env: Record<string, string>;
  nodes: string[];
  /** Run sinfo/scontrol against this cluster. */
  run(cmd: 'sinfo' | 'scontrol', args: string[]): Promise<string>;
  /** `NAME|STATE|REASON` per node. */
  states(): Promise<Map<string, { state: string; reason: string }>>;
  /** Poll until every node shows exactly `state` (e.g. `idle`). */
  waitAll(state: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** The daemons' logs, for a failing test's message. */
  logs(): string;
}

/** Start munged, slurmctld and `count` slurmd named gpu01… on loopback. */
export async function startSlurmCluster(opts: { count?: number; prefix?: string } = {}): Promise<SlurmCluster> {
  const count = opts.count ?? 4;
  const prefix = opts.prefix ?? 'gpu';
  const dir = tempDir('keelson-slurm-');
  const keyDir = join(dir, 'munge-key');
  const sockDir = join(dir, 'munge-sock');
  const logDir = join(dir, 'log');
  for (const d of [keyDir, sockDir, logDir, join(dir, 'state')]) mkdirSync(d, { recursive: true, mode: 0o755 });
  const { chmodSync } = await import('node:fs');
  chmodSync(dir, 0o755);
  chmodSync(keyDir, 0o700);
  chmodSync(sockDir, 0o755);
  writeFileSync(join(keyDir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const socket = join(sockDir, 'munge.socket');
  const nodes = Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
  const ctldPort = await freePort();
  const nodePorts: number[] = [];
  while (nodePorts.length < count) {
    const p = await freePort();
    if (p !== ctldPort && !nodePorts.includes(p)) nodePorts.push(p);
  }
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=keelsontest',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmctldPort=${ctldPort}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool-%n')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd-%n.pid')}`,
      `SlurmctldLogFile=${join(logDir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(logDir, 'slurmd-%n.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'SlurmdTimeout=300',
      ...nodes.map(
        (n, i) =>
          `NodeName=${n} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${nodePorts[i]} CPUs=1 RealMemory=100 State=UNKNOWN`,
      ),
      'PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[], log: string) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    c.stdout?.on('data', (b: Buffer) => out.push(b));
    c.stderr?.on('data', (b: Buffer) => out.push(b));
    c.once('exit', () => {
      try {
        writeFileSync(join(logDir, log), Buffer.concat(out));
      } catch {}
    });
    children.push(c);
    return c;
  };
  const run = async (cmd: 'sinfo' | 'scontrol', args: string[]) =>
    (await exec(cmd, args, { env: { ...process.env, ...env }, timeout: 10_000 })).stdout;
  const states = async () => {
    const out = new Map<string, { state: string; reason: string }>();
    for (const line of (await run('sinfo', ['-N', '-h', '-o', '%N|%T|%E'])).split('\n')) {
      const [name, state, ...reason] = line.split('|');
      if (name && state && !out.has(name)) out.set(name, { state, reason: reason.join('|') });
    }
    return out;
  };
  const cluster: SlurmCluster = {
    dir,
    env,
    nodes,
    run,
    states,
    async waitAll(state, timeoutMs = 20_000) {
      await waitFor(
        async () => {
          const s = await states();
          return nodes.every((n) => s.get(n)?.state === state);
        },
        timeoutMs,
        `all Slurm nodes ${state}`,
      );
    },
    async stop() {
      // Nodes first, then the controller, then munged.
      for (const group of [children.slice(2), children.slice(1, 2), children.slice(0, 1)]) {
        await Promise.all(
          group.map(
            (c) =>
              new Promise<void>((resolve) => {
                if (c.exitCode !== null || c.signalCode !== null) return resolve();
                const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
                c.once('exit', () => {
                  clearTimeout(t);
                  resolve();
                });
                c.kill('SIGTERM');
              }),
          ),
        );
      }
      rmSync(dir, { recursive: true, force: true });
    },
    logs() {
      const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').slice(-3000) : '');
      return [read(join(logDir, 'slurmctld.log')), ...nodes.map((n) => read(join(logDir, `slurmd-${n}.log`)))].join(
        '\n',
      );
    },
  };
  try {
    start(
      '/usr/sbin/munged',
      [
        '-F',
        '--force',
        `--socket=${socket}`,
        `--key-file=${join(keyDir, 'munge.key')}`,
        `--pid-file=${join(dir, 'munged.pid')}`,
        `--log-file=${join(logDir, 'munged.log')}`,
        `--seed-file=${join(keyDir, 'munged.seed')}`,
      ],
      'munged.out',
    );
    await waitFor(() => existsSync(socket), 10_000, 'munged socket');
    start('/usr/sbin/slurmctld', ['-D', '-i'], 'slurmctld.out');
    await waitFor(async () => /UP/.test(await run('scontrol', ['ping'])), 20_000, 'slurmctld up');
    for (const n of nodes) start('/usr/sbin/slurmd', ['-D', '-N', n], `slurmd-${n}.out`);
    await cluster.waitAll('idle', 30_000);
  } catch (err) {
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`Slurm cluster did not start: ${(err as Error).message}\n${logs}`);
  }
  return cluster;
}
