/**
 * Finding → Slurm DRAIN latency through the isolation engine against a real Slurm (slurmctld +
 * slurmd on loopback, as the tests start it): for each run a fresh fatal finding goes into
 * IsolationEngine.onFindingChange and the clock stops when `sinfo` shows the node drained with
 * Keelson's reason. Usage: node --import tsx bench/isolation-engine.ts [--json] [--runs N]
 */
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SlurmActuator } from '../collector/actuators/slurm.ts';
import { AuditLog } from '../collector/isolation/audit-store.ts';
import { defaultPolicy } from '../collector/isolation/default-policy.ts';
import { IsolationEngine } from '../collector/isolation/engine.ts';
import { DEFAULT_JOB_FLOW } from '../collector/isolation/job-flow.ts';
import { silentLogger } from '../core/logger.ts';
import { slurmAvailable, startSlurmCluster } from '../test/helpers/slurm-cluster.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runsArg = args.indexOf('--runs');
const runs = Math.max(50, runsArg >= 0 ? Number(args[runsArg + 1]) : 60);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  if (!slurmAvailable()) {
    console.error('bench:isolation needs root and slurm-wlm + munge (scripts/install-test-services.sh)');
    process.exit(2);
  }
  const slurm = await startSlurmCluster({ count: 4 });
  const db = new Database(':memory:');
  try {
    const engine = new IsolationEngine({
      policy: defaultPolicy(),
      mode: 'enforce',
      breaker: { maxFraction: 1, maxNodes: 1_000_000, windowMs: 3_600_000, minAllowed: 1 },
      jobFlow: DEFAULT_JOB_FLOW,
      actuators: [new SlurmActuator({ env: slurm.env, log: silentLogger() })],
      audit: new AuditLog(db),
      log: silentLogger(),
      // The breaker is not what is measured: let every run through.
      fleetSize: () => 1_000_000,
    });
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const node = slurm.nodes[i % slurm.nodes.length]!;
      await slurm.waitAll('idle', 30_000);
      const now = Date.now();
      const t0 = performance.now();
      await engine.onFindingChange(
        node,
        {
          change: 'opened',
          finding: {
            code: 'gpu.xid.79',
            component: 'gpu:0',
            severity: 'fatal',
            action: 'reboot',
            kind: 'event',
            message: 'GPU has fallen off the bus',
            evidence: `NVRM: Xid (PCI:0000:3b:00): 79, run ${i}`,
            firstSeen: now,
            lastSeen: now,
            count: 1,
          },
        },
        now,
      );
      for (;;) {
        const s = (await slurm.states()).get(node);
        if (s && /drain/.test(s.state) && s.reason.startsWith('keelson: gpu.xid.79')) break;
        if (performance.now() - t0 > 10_000) {
          throw new Error(
            `run ${i}: ${node} not drained after 10 s: ${JSON.stringify(s)} ${JSON.stringify(engine.audit({ node, limit: 3 }))}`,
          );
        }
      }
      samples.push(performance.now() - t0);
      await engine.release(node, 'bench');
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const r = {
      runs,
      p50Ms: Number(quantile(sorted, 0.5).toFixed(2)),
      p99Ms: Number(quantile(sorted, 0.99).toFixed(2)),
      maxMs: Number(sorted.at(-1)!.toFixed(2)),
    };
    if (json) console.log(JSON.stringify(r));
    else
      console.log(`finding → Slurm DRAIN over ${runs} runs: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`);
  } finally {
    db.close();
    await slurm.stop();
  }
}

await main();
