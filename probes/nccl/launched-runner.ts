/**
 * Runs one network test on real (or fake) binaries and judges it: builds the launch with
 * launch.ts, runs it through a CommandRunner with the test's time box, parses the output and
 * compares it with the baseline. Its `runTest(nodes, kind, timeoutMs)` answers the shape the
 * collector's TestRunner expects (collector/nettest/types.ts TestResult), so the agent that
 * launches a campaign's tests, and `keelson bisect --simulate`, use it as is.
 */
import { isKeelsonError } from '../../core/errors.ts';
import type { CommandRunner } from '../runner.ts';
import { DEFAULT_TOLERANCE, findNcclBaseline, judgeNcclTests, judgePerftest, type NcclBaseline } from './baselines.ts';
import { buildAllReduceLaunch, buildIbWriteBwPair, type IbWriteBwConfig, type NcclLaunchConfig } from './launch.ts';
import { parseNcclTests } from './parse-nccl-tests.ts';
import { parsePerftestBw } from './parse-perftest.ts';

/** Kinds of test this runner knows (the collector's TestKind). */
export type NetTestKind = 'nccl-allreduce' | 'ib-write-bw';

/** The collector's TestResult, structurally. */
export interface NetTestResult {
  nodes: string[];
  kind: NetTestKind;
  outcome: 'pass' | 'slow' | 'failed' | 'timeout' | 'error';
  measured?: number;
  expected?: number;
  detail: string;
  durationMs: number;
}

/** How to run and judge tests. */
export interface LaunchedRunnerConfig {
  commands: CommandRunner;
  nccl: NcclLaunchConfig;
  ib: IbWriteBwConfig & {
    /** Link rate of the tested ports (Gb/s), for the expectation. */
    linkRateGbps: number;
    /** Prefix that runs a command on a node; `{node}` is replaced (`['ssh', '{node}']`). */
    remote: string[];
    /** Wait between starting the server and the client. */
    serverStartMs: number;
  };
  /** Baselines to pick from by GPU and scope, or the one to use whatever the output says. */
  baselines?: readonly NcclBaseline[];
  baseline?: NcclBaseline;
  tolerance?: number;
  outputCapBytes?: number;
  /** Writes a launch's files (a hostfile) before it runs. */
  writeFile(path: string, content: string): Promise<void>;
  now(): number;
}

type Outcome = NetTestResult['outcome'];

function failureOutcome(err: unknown): { outcome: Outcome; detail: string } {
  if (isKeelsonError(err, 'CMD_TIMEOUT')) return { outcome: 'timeout', detail: err.message };
  if (isKeelsonError(err, 'CMD_FAILED')) return { outcome: 'failed', detail: err.message };
  return { outcome: 'error', detail: err instanceof Error ? err.message : String(err) };
}

/** stdout of a command, also when it exited non-zero (the failure lines are the evidence). */
async function runForOutput(
  cfg: LaunchedRunnerConfig,
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ stdout: string } | { error: unknown; stdout?: string }> {
  try {
    const r = await cfg.commands.run(command, args, { timeoutMs, outputCapBytes: cfg.outputCapBytes ?? 8 << 20 });
    return { stdout: r.stdout };
  } catch (error) {
    const output = (error as { output?: { stdout?: string } }).output;
    return output?.stdout ? { error, stdout: output.stdout } : { error };
  }
}

const VERDICT_OUTCOME: Record<string, Outcome> = { pass: 'pass', slow: 'slow', failed: 'failed', unknown: 'error' };

async function runAllReduce(
  cfg: LaunchedRunnerConfig,
  nodes: string[],
  timeoutMs: number,
): Promise<Omit<NetTestResult, 'durationMs'>> {
  const launch = buildAllReduceLaunch(nodes, cfg.nccl, { timeoutMs });
  for (const f of launch.files) await cfg.writeFile(f.path, f.content);
  const out = await runForOutput(cfg, launch.command, launch.args, timeoutMs);
  const base = { nodes, kind: 'nccl-allreduce' as const };
  if ('error' in out && !out.stdout) return { ...base, ...failureOutcome(out.error) };
  let record: ReturnType<typeof parseNcclTests>;
  try {
    record = parseNcclTests(out.stdout ?? '');
  } catch {
    return {
      ...base,
      ...('error' in out ? failureOutcome(out.error) : { outcome: 'failed', detail: 'no nccl-tests output' }),
    };
  }
  const baseline = cfg.baseline ?? findNcclBaseline(record, cfg.baselines);
  const j = judgeNcclTests(record, baseline, cfg.tolerance ?? DEFAULT_TOLERANCE);
  let outcome = VERDICT_OUTCOME[j.verdict] ?? 'error';
  // a launcher that died after a clean table (a timeout mid-teardown) still failed the run
  if ('error' in out && outcome === 'pass') outcome = failureOutcome(out.error).outcome;
  return {
    ...base,
    outcome,
    ...(j.measured === undefined ? {} : { measured: j.measured }),
    ...(j.expected === undefined ? {} : { expected: j.expected }),
    detail: j.reasons[0] ?? j.verdict,
  };
}

let portSeq = 0;

async function runPair(
  cfg: LaunchedRunnerConfig,
  server: string,
  client: string,
  timeoutMs: number,
): Promise<Omit<NetTestResult, 'durationMs'>> {
  const port = cfg.ib.port + (portSeq++ % 2000);
  const pair = buildIbWriteBwPair(server, client, { ...cfg.ib, port });
  const on = (node: string) => cfg.ib.remote.map((a) => a.replaceAll('{node}', node));
  const wrap = (node: string, command: string, args: string[]): [string, string[]] => {
    const prefix = on(node);
    return prefix.length > 0 ? [prefix[0] as string, [...prefix.slice(1), command, ...args]] : [command, args];
  };
  const [sc, sa] = wrap(server, pair.server.command, pair.server.args);
  const [cc, ca] = wrap(client, pair.client.command, pair.client.args);
  const serverRun = runForOutput(cfg, sc, sa, timeoutMs);
  await new Promise((r) => setTimeout(r, cfg.ib.serverStartMs));
  const clientRun = await runForOutput(cfg, cc, ca, Math.max(1000, timeoutMs - cfg.ib.serverStartMs));
  const serverOut = await serverRun;
  const nodes = server === client ? [server] : [server, client];
  const base = { nodes, kind: 'ib-write-bw' as const };
  const text = clientRun.stdout ?? '';
  if (!text) return { ...base, ...failureOutcome('error' in clientRun ? clientRun.error : 'no output') };
  let record: ReturnType<typeof parsePerftestBw>;
  try {
    record = parsePerftestBw(text);
  } catch {
    return { ...base, outcome: 'failed', detail: 'no ib_write_bw output' };
  }
  const j = judgePerftest(record, cfg.ib.linkRateGbps, cfg.tolerance ?? DEFAULT_TOLERANCE);
  let outcome = VERDICT_OUTCOME[j.verdict] ?? 'error';
  if (outcome === 'pass' && ('error' in clientRun || 'error' in serverOut)) outcome = 'failed';
  return {
    ...base,
    outcome,
    ...(j.measured === undefined ? {} : { measured: j.measured }),
    ...(j.expected === undefined ? {} : { expected: j.expected }),
    detail: j.reasons[0] ?? j.verdict,
  };
}

const RANK: Record<Outcome, number> = { pass: 0, slow: 1, failed: 2, timeout: 3, error: 4 };

/** A test runner over real or fake binaries. */
export function createLaunchedTestRunner(cfg: LaunchedRunnerConfig): {
  runTest(nodes: string[], kind: NetTestKind, timeoutMs: number): Promise<NetTestResult>;
} {
  return {
    async runTest(nodes, kind, timeoutMs) {
      const started = cfg.now();
      let r: Omit<NetTestResult, 'durationMs'>;
      if (kind === 'nccl-allreduce') r = await runAllReduce(cfg, nodes, timeoutMs);
      else {
        // one node: loopback through its own port; two: a pair; more: a ring of pairs at once
        const pairs: [string, string][] =
          nodes.length <= 2
            ? [[nodes[0] as string, (nodes[1] ?? nodes[0]) as string]]
            : nodes.map((n, i) => [n, nodes[(i + 1) % nodes.length] as string]);
        const results = await Promise.all(pairs.map(([s, c]) => runPair(cfg, s, c, timeoutMs)));
        const worst = results.reduce((w, x) => (RANK[x.outcome] > RANK[w.outcome] ? x : w));
        r = { ...worst, nodes };
      }
      return { ...r, durationMs: cfg.now() - started };
    },
  };
}
