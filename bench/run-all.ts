/**
 * `npm run bench`: runs every bench script present in bench/ (agent, collector and, where they
 * exist, reconnect-storm, checkpoint, isolation, training-detect) with `--json`, one after another so they do not
 * compete for the cores, and rewrites bench/RESULTS.md with the machine, the date and each
 * figure beside its goal. A bench that fails gets a "Failed" section; the others still run.
 * Usage: node --import tsx bench/run-all.ts [-- --only agent,collector-1000] [--dry-run]
 *   extra flags per run: KEELSON_BENCH_ARGS_<ID>="--seconds 10" (ID upper-case, - → _)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/compiled-build.ts';
import { GOALS } from './lib/goals.ts';
import { machineInfo } from './lib/machine.ts';
import { lastJsonLine, note } from './lib/output.ts';
import { type BenchOutcome, renderResults } from './lib/results-md.ts';

/** Bench runs in order: the RESULTS.md section id, the script (bench/<script>.ts) and its flags besides --json. */
const BENCHES: readonly { id: string; script: string; args: string[] }[] = [
  { id: 'agent', script: 'agent', args: [] },
  { id: 'collector-1000', script: 'collector', args: ['--agents', '1000'] },
  {
    id: 'collector-10000',
    script: 'collector',
    args: ['--agents', '10000', '--seconds', '20', '--connect-timeout', '60'],
  },
  // the same on tmpfs: what the collector's CPU allows once commits stop costing an fsync each
  {
    id: 'collector-10000-tmpfs',
    script: 'collector',
    args: ['--agents', '10000', '--seconds', '20', '--connect-timeout', '60', '--tmpfs', '1'],
  },
  // 10,000 nodes leave, are lost and return: the store's loop time, group commit vs a write each
  { id: 'reconnect-storm', script: 'reconnect-storm', args: [] },
  { id: 'checkpoint', script: 'checkpoint', args: [] },
  { id: 'isolation', script: 'isolation', args: [] },
  { id: 'training-detect', script: 'training-detect', args: [] },
];

const RESULTS = join(REPO_ROOT, 'bench/RESULTS.md');

function extraArgs(name: string): string[] {
  const raw = process.env[`KEELSON_BENCH_ARGS_${name.toUpperCase().replace(/-/g, '_')}`];
  return raw ? raw.trim().split(/\s+/) : [];
}

function runOne(id: string, name: string, args: string[]): BenchOutcome {
  const script = `bench/${name}.ts`;
  const argv = [...args, ...extraArgs(id), '--json'];
  const command = `node --import tsx ${script} -- ${argv.join(' ')}`;
  note(`== ${command}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--', ...argv], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stderr.write(r.stderr);
  const figures = r.status === 0 ? lastJsonLine(r.stdout) : undefined;
  const base = { name: id, command, date: new Date().toISOString(), machine: machineInfo() };
  const goals = { ...GOALS[name], ...GOALS[id], ...(figures?.goals as Record<string, string> | undefined) };
  if (!figures) {
    const why = r.error?.message ?? (r.status === 0 ? 'printed no JSON line' : `exit ${r.status ?? r.signal}`);
    return { ...base, goals, error: `${why}: ${r.stderr || r.stdout}` };
  }
  note(JSON.stringify(figures));
  return { ...base, goals, figures };
}

function main(): void {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : undefined;
  const present = BENCHES.filter((b) => existsSync(join(REPO_ROOT, `bench/${b.script}.ts`)));
  const chosen = present.filter((b) => !only || only.has(b.id) || only.has(b.script));
  if (argv.includes('--dry-run')) {
    for (const b of chosen)
      process.stdout.write(`${b.id}: bench/${b.script}.ts ${[...b.args, ...extraArgs(b.id), '--json'].join(' ')}\n`);
    return;
  }
  const outcomes = chosen.map((b) => runOne(b.id, b.script, b.args));
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  writeFileSync(RESULTS, renderResults(previous, outcomes, machineInfo(), new Date().toISOString()));
  note(`wrote ${RESULTS}`);
  process.exitCode = outcomes.some((o) => o.error !== undefined) ? 1 : 0;
}

main();
