/**
 * bench:collector — n simulated agents over real WebSocket connections on loopback against one
 * real collector process (the compiled JavaScript), each sending one sequenced `metrics`
 * message a second with the real codec. The agents live in worker threads of this process
 * (--workers, default 2), so the load generator and the collector are separate processes.
 *   p50Ms / p99Ms   send → ack received. The collector acks a message only after applying it to
 *                   its in-memory fleet state and committing it to SQLite, so an ack means the
 *                   message is visible in the collector's state (checked at the end on /api/nodes).
 *   cpuPercent      the collector's CPU (/proc/<pid>/stat deltas) in % of one core
 *   rssMB           the collector's largest VmRSS while measured
 *   collectorLoopDelayMaxMs / P99Ms  the collector's own event-loop stalls (its gauges, scraped
 *                   every 15 s): what of the latency tail is the collector's loop, not the wire
 * Goal: 10,000 agents on this 2-core machine with p99 under 100 ms.
 * Usage: node --import tsx bench/collector.ts -- [--agents 1000] [--seconds 30] [--workers 2]
 *        [--ramp 1000] [--connect-timeout 120] [--profile 1] [--tmpfs 1] [--main <cli/main.js>] [--keep-profile <file>]
 *        [--node-args '<flags for the collector's node>'] [--keep-output <file>] [--json]
 *   --tmpfs 1 puts the database on /dev/shm (fsync is free there): what the CPU alone allows.
 *   --main runs that prebuilt collector instead of compiling this tree (A/B against a baseline build).
 *   loadGenCpuPercent is this process's CPU (the load generator's threads) in % of one core: on
 *   2 cores, collector + load generator near 200 % means the figures measure contention.
 */

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { stringify } from 'yaml';
import { freePort } from '../test/helpers/processes.ts';
import { parseBenchArgs, takeTextFlag } from './lib/cli-args.ts';
import { buildCompiled, REPO_ROOT } from './lib/compiled-build.ts';
import { hottestFunctions } from './lib/cpu-profile.ts';
import { latencySummary } from './lib/latency.ts';
import { note, printFigures } from './lib/output.ts';
import { residentBytes, treeCpuSeconds } from './lib/proc-stats.ts';
import { SpawnedProcess, waitUntil } from './lib/spawned.ts';
import type { SwarmResult, SwarmWorkerData } from './lib/swarm-worker.ts';
import { unitNodeOptions } from './lib/unit-options.ts';
import { gaugeValue } from './lib/unix-http.ts';

const TOKEN = 'bench-token-0123456789abcdef';
const MB = 1024 * 1024;
// Worker threads do not inherit `--import tsx` on Node 20: register it in the worker, then load the swarm.
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./lib/swarm-worker.ts', import.meta.url).href)}); })
  .catch((err) => { console.error(err); process.exit(1); });`;

function ask<T>(w: Worker, msg: { type: string }, reply: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string } & Record<string, unknown>) => {
      if (m.type !== reply) return;
      w.off('message', onMessage);
      w.off('error', reject);
      resolve(m as T);
    };
    w.on('message', onMessage);
    w.once('error', reject);
    w.postMessage(msg);
  });
}

async function main(): Promise<void> {
  const { value: prebuilt, rest: argv0 } = takeTextFlag(process.argv.slice(2), 'main');
  const { value: keepProfile, rest: argv1 } = takeTextFlag(argv0, 'keep-profile');
  const { value: collectorNodeArgs, rest: argv2 } = takeTextFlag(argv1, 'node-args');
  const { value: keepOutput, rest: argv } = takeTextFlag(argv2, 'keep-output');
  const args = parseBenchArgs(argv, {
    agents: 1000,
    seconds: 30,
    workers: 2,
    ramp: 1000,
    settle: 5,
    profile: 0,
    tmpfs: 0,
    'connect-timeout': 120,
  });
  const n = args.numbers;
  const agents = Math.floor(n.agents!);
  const workers = Math.max(1, Math.min(Math.floor(n.workers!), agents));
  const build = prebuilt ? { main: prebuilt, remove: () => {} } : buildCompiled('keelson-bench-collector-');
  // --tmpfs 1 keeps the database in /dev/shm, where fsync costs nothing: the collector's CPU ceiling
  const dir = mkdtempSync(join(n.tmpfs ? '/dev/shm' : tmpdir(), 'keelson-bench-collector-'));
  const profileDir = join(dir, 'profile');
  let collector: SpawnedProcess | undefined;
  const swarm: Worker[] = [];
  try {
    const port = await freePort();
    writeFileSync(join(dir, 'collector.yaml'), stringify({ tokens: [TOKEN], log: { level: 'warn' } }));
    // The systemd unit's V8 flags, as in production, unless --node-args replaces them.
    const nodeArgs = [
      ...(collectorNodeArgs ?? unitNodeOptions(join(REPO_ROOT, 'packaging/systemd/keelson-collector.service')))
        .split(/\s+/)
        .filter(Boolean),
      ...(n.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ];
    if (n.profile) mkdirSync(profileDir);
    collector = new SpawnedProcess(
      process.execPath,
      [
        ...nodeArgs,
        build.main,
        'collector',
        '--config',
        join(dir, 'collector.yaml'),
        '--port',
        String(port),
        '--data-dir',
        join(dir, 'data'),
      ],
      { ...process.env, NODE_OPTIONS: '' },
      REPO_ROOT,
    );
    const c = collector;
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/healthz`)).ok, 20_000, 'the collector');

    const per = Math.ceil(agents / workers);
    for (let w = 0; w < workers; w++) {
      const data: SwarmWorkerData = {
        url: `ws://127.0.0.1:${port}/ws/agent`,
        token: TOKEN,
        first: w * per,
        count: Math.max(0, Math.min(per, agents - w * per)),
        rampPerSec: n.ramp! / workers,
        connectDeadlineMs: n['connect-timeout']! * 1000,
      };
      swarm.push(new Worker(WORKER_BOOT, { eval: true, workerData: data }));
    }
    note(`connecting ${agents} agents from ${workers} worker thread(s) at ${n.ramp}/s`);
    const connected = (
      await Promise.all(swarm.map((w) => ask<{ connected: number }>(w, { type: 'connect' }, 'connected')))
    ).reduce((s, r) => s + r.connected, 0);
    if (!c.alive) throw new Error(`collector exited: ${c.output}`);
    note(`${connected} connected; settling ${n.settle} s, then measuring ${n.seconds} s`);
    await new Promise((r) => setTimeout(r, n.settle! * 1000));

    // Scraped as Prometheus would (every 15 s, and at the end): the collector's own loop stalls.
    let loopMaxSec = 0;
    let loopP99Sec = 0;
    const scrape = async () => {
      const body = await (await fetch(`${url}/metrics`)).text();
      return {
        max: gaugeValue(body, 'keelson_collector_event_loop_delay_max_seconds') ?? Number.NaN,
        p99: gaugeValue(body, 'keelson_collector_event_loop_delay_p99_seconds') ?? Number.NaN,
      };
    };
    await scrape(); // starts the period
    const cpu0 = treeCpuSeconds(c.pid);
    const loadGen0 = process.cpuUsage();
    const t0 = performance.now();
    for (const w of swarm) w.postMessage({ type: 'measure' });
    let rssMax = 0;
    let nextScrape = t0 + 15_000;
    while (performance.now() - t0 < n.seconds! * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!c.alive) throw new Error(`collector exited while measured: ${c.output}`);
      rssMax = Math.max(rssMax, residentBytes(c.pid).rss);
      if (performance.now() >= nextScrape || performance.now() - t0 >= n.seconds! * 1000) {
        nextScrape += 15_000;
        const g = await scrape();
        loopMaxSec = Math.max(loopMaxSec, g.max);
        loopP99Sec = Math.max(loopP99Sec, g.p99);
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = treeCpuSeconds(c.pid) - cpu0;
    const loadGen = process.cpuUsage(loadGen0);
    const results = (
      await Promise.all(swarm.map((w) => ask<{ result: SwarmResult }>(w, { type: 'stop' }, 'result')))
    ).map((r) => r.result);
    const all = new Float64Array(results.reduce((s, r) => s + r.latencies.length, 0));
    let at = 0;
    for (const r of results) {
      all.set(r.latencies, at);
      at += r.latencies.length;
    }
    // what the collector holds: every simulated node, seen within the last few seconds
    const nodes = (await (await fetch(`${url}/api/nodes`)).json()) as { nodes?: { id: string; lastSeen: number }[] };
    const list = Array.isArray(nodes) ? (nodes as { id: string; lastSeen: number }[]) : (nodes.nodes ?? []);
    const fresh = list.filter((x) => x.id.startsWith('sim-') && Date.now() - x.lastSeen < 5_000).length;
    const errors = results.flatMap((r) => r.errors);
    for (const e of errors.slice(0, 5)) note(`agent error: ${e}`);
    const sent = results.reduce((s, r) => s + r.sent, 0);
    const acked = results.reduce((s, r) => s + r.acked, 0);
    const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
    const figures: Record<string, unknown> = {
      agents: connected,
      ...latencySummary(all),
      cpuPercent: round((cpu / wall) * 100),
      // the collector's CPU per message acknowledged in the window: comparable across runs at different rates
      cpuUsPerMessage: round((cpu * 1e6) / Math.max(1, all.length), 0),
      rssMB: round(rssMax / MB),
      messagesPerSec: round(all.length / wall, 0),
      unacked: sent - acked,
      nodesFreshInState: fresh,
      collectorLoopDelayMaxMs: round(loopMaxSec * 1000),
      collectorLoopDelayP99Ms: round(loopP99Sec * 1000),
      loadGenMaxTickGapMs: round(Math.max(...results.map((r) => r.maxTickGapMs))),
      loadGenCpuPercent: round(((loadGen.user + loadGen.system) / 1e6 / wall) * 100),
      seconds: round(wall),
      notes:
        `Latency is send → ack: a metrics message is acked once applied to the collector's state (in memory; durable messages are acked after their SQLite commit). ` +
        `${workers} load-generator worker thread(s) share the 2 cores with the collector; loadGenMaxTickGapMs is ` +
        `their own worst scheduling delay, which inflates the tail. collectorLoopDelay* are the collector's own event-loop stalls ` +
        `(its keelson_collector_event_loop_delay_* gauges, scraped every 15 s as Prometheus would).` +
        (n.tmpfs ? ' Database on tmpfs (--tmpfs 1): no fsync cost.' : ''),
    };
    if (n.profile) {
      await c.stop();
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        if (keepProfile) copyFileSync(join(profileDir, file), keepProfile);
        const top = hottestFunctions(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), 20, REPO_ROOT);
        note(
          `collector CPU profile, self time:\n${top.map((h) => `  ${String(h.selfPercent).padStart(5)}%  ${h.name}  ${h.where}`).join('\n')}`,
        );
      }
    }
    printFigures(figures, args.json);
    if (keepOutput) writeFileSync(keepOutput, c.output);
  } finally {
    await Promise.all(swarm.map((w) => w.terminate()));
    await collector?.stop();
    rmSync(dir, { recursive: true, force: true });
    build.remove();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:collector failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
