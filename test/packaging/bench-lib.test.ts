/**
 * The benchmarks' shared pieces: /proc parsers (with property tests), flags, percentiles,
 * goals, the CPU-profile summary and RESULTS.md section rewriting.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/lib/cli-args.ts';
import { hottestFunctions } from '../../bench/lib/cpu-profile.ts';
import { meetsGoal } from '../../bench/lib/goals.ts';
import { percentile } from '../../bench/lib/latency.ts';
import type { MachineInfo } from '../../bench/lib/machine.ts';
import { lastJsonLine } from '../../bench/lib/output.ts';
import {
  descendants,
  parseProcStat,
  statComm,
  statusKiB,
  threadCpuSeconds,
  treeCpuSeconds,
} from '../../bench/lib/proc-stats.ts';
import { type BenchOutcome, parseSections, renderResults } from '../../bench/lib/results-md.ts';
import { unitNodeArgs, unitNodeOptions } from '../../bench/lib/unit-options.ts';

const REPO = new URL('../..', import.meta.url).pathname;

const STAT =
  '4242 (node (keelson) x) S 1 4242 4242 0 -1 4194560 52345 1234 0 0 731 122 40 9 20 0 11 0 8001234 1234567890 25000 18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 1 0 0 0 0 0';

describe('/proc parsers', () => {
  it('reads pid, ppid and CPU ticks past a command name with spaces and parentheses', () => {
    expect(parseProcStat(STAT)).toEqual({
      pid: 4242,
      ppid: 1,
      ownTicks: 731 + 122,
      systemTicks: 122,
      reapedChildTicks: 40 + 9,
    });
  });

  it('property: any command name and any times round-trip', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 15 }).filter((s) => !s.includes('\n')),
        fc.nat(),
        fc.nat(),
        fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 4, maxLength: 4 }),
        (comm, pid, ppid, [u, s, cu, cs]) => {
          const line = `${pid} (${comm}) R ${ppid} 1 1 0 -1 0 0 0 0 0 ${u} ${s} ${cu} ${cs} 20 0 1 0 1 1 1`;
          expect(parseProcStat(line)).toEqual({
            pid,
            ppid,
            ownTicks: u! + s!,
            systemTicks: s!,
            reapedChildTicks: cu! + cs!,
          });
        },
      ),
    );
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('garbage')).toThrow(/not a \/proc/);
    expect(() => parseProcStat('12 (x) S')).toThrow(/malformed/);
  });

  it('reads kB lines of /proc/<pid>/status', () => {
    const text = 'Name:\tnode\nVmHWM:\t  104200 kB\nVmRSS:\t   98000 kB\n';
    expect(statusKiB(text, 'VmRSS')).toBe(98000 * 1024);
    expect(statusKiB(text, 'VmHWM')).toBe(104200 * 1024);
    expect(statusKiB(text, 'VmSwap')).toBeUndefined();
  });

  it('counts this process tree on the real /proc', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn('sh', ['-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(descendants(process.pid)).toContain(child.pid);
    expect(treeCpuSeconds(process.pid)).toBeGreaterThan(0);
    child.kill();
  });
});

describe('flags, percentiles, goals', () => {
  it('parses --json and numeric flags, skipping npm’s lone --', () => {
    expect(parseBenchArgs(['--', '--agents', '10000', '--json', '--seconds=5'], { agents: 1000, seconds: 60 })).toEqual(
      {
        json: true,
        numbers: { agents: 10000, seconds: 5 },
      },
    );
    expect(() => parseBenchArgs(['--agent', '3'], { agents: 1 })).toThrow(/unknown flag --agent/);
    expect(() => parseBenchArgs(['--agents', 'many'], { agents: 1 })).toThrow(/--agents needs a non-negative number/);
  });

  it('takes nearest-rank percentiles', () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile(s, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('property: a percentile is one of the samples and grows with p', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: 0, max: 1e6 }), { minLength: 1 }), (s) => {
        const p50 = percentile(s, 50);
        const p99 = percentile(s, 99);
        expect(s).toContain(p50);
        expect(p99).toBeGreaterThanOrEqual(p50);
      }),
    );
  });

  it('checks figures against goals', () => {
    expect(meetsGoal(0.8, '≤ 1')).toBe(true);
    expect(meetsGoal(1.2, '≤ 1')).toBe(false);
    expect(meetsGoal(100, '< 100')).toBe(false);
    expect(meetsGoal(10000, '≥ 10000')).toBe(true);
    expect(meetsGoal('n/a', '≤ 1')).toBeUndefined();
    expect(meetsGoal(3, 'fast')).toBeUndefined();
  });

  it('finds the JSON line a bench printed among other output', () => {
    expect(lastJsonLine('building\n{"a":1}\n{not json\n')).toEqual({ a: 1 });
    expect(lastJsonLine('nothing here')).toBeUndefined();
  });
});

describe('CPU profile summary', () => {
  it('sums self time by function and sorts by it', () => {
    const node = (id: number, functionName: string, url: string, hitCount: number) => ({
      id,
      callFrame: { functionName, url, lineNumber: 9 },
      hitCount,
    });
    const top = hottestFunctions(
      {
        nodes: [
          node(1, '(idle)', '', 10),
          node(2, 'applySequenced', 'file:///repo/collector/store.js', 60),
          node(3, 'applySequenced', 'file:///repo/collector/store.js', 20),
          node(4, 'decode', 'file:///repo/protocol/codec.js', 10),
        ],
      },
      2,
      '/repo/',
    );
    expect(top).toEqual([
      { name: 'applySequenced', where: 'collector/store.js:10', selfPercent: 80 },
      { name: '(idle)', where: '', selfPercent: 10 },
    ]);
  });

  it('counts only the samples inside a window, as shares of busy time when asked', () => {
    const node = (id: number, functionName: string, url: string, hitCount: number) => ({
      id,
      callFrame: { functionName, url, lineNumber: 9 },
      hitCount,
    });
    const profile = {
      nodes: [node(1, '(idle)', '', 0), node(2, 'parse', 'file:///repo/p.js', 0), node(3, 'gc', '', 0)],
      startTime: 1000,
      // samples at t = 1010, 1020, 1030, 1040, 1050
      samples: [2, 1, 2, 3, 2],
      timeDeltas: [10, 10, 10, 10, 10],
    };
    expect(hottestFunctions(profile, 5, '/repo/', { fromUs: 1015, toUs: 1045, busyOnly: true })).toEqual([
      { name: 'parse', where: 'p.js:10', selfPercent: 50 },
      { name: 'gc', where: '', selfPercent: 50 },
    ]);
    expect(hottestFunctions(profile, 1, '/repo/')[0]).toEqual({ name: 'parse', where: 'p.js:10', selfPercent: 60 });
  });
});

describe('RESULTS.md', () => {
  const machine: MachineInfo = {
    cpuModel: 'AMD EPYC',
    cores: 2,
    memoryGiB: 23.4,
    node: 'v20.20.0',
    kernel: 'linux node',
  };
  const outcome = (
    name: string,
    figures: Record<string, unknown>,
    goals: Record<string, string> = {},
  ): BenchOutcome => ({
    name,
    command: `node --import tsx bench/${name}.ts -- --json`,
    figures,
    goals,
    date: '2025-11-26T10:00:00.000Z',
    machine,
  });

  it('writes the machine, the date and each figure beside its goal', () => {
    const doc = renderResults(
      '',
      [outcome('agent', { cpuPercent: 0.6, rssMB: 91.25 }, { cpuPercent: '≤ 1', rssMB: '≤ 80' })],
      machine,
      '2025-11-26T10:00:00.000Z',
    );
    expect(doc).toContain('Last run: 2025-11-26T10:00:00.000Z on AMD EPYC, 2 cores, 23.4 GiB memory, Node v20.20.0.');
    expect(doc).toContain('| cpuPercent | 0.6 | ≤ 1 | yes |');
    expect(doc).toContain('| rssMB | 91.25 | ≤ 80 | **no** |');
  });

  it('replaces a bench’s own section and keeps the others', () => {
    const first = renderResults(
      '',
      [outcome('agent', { cpuPercent: 2 }), outcome('collector', { p99Ms: 40 })],
      machine,
      'd1',
    );
    const second = renderResults(first, [outcome('agent', { cpuPercent: 0.5 })], machine, 'd2');
    const sections = parseSections(second);
    expect([...sections.keys()]).toEqual(['agent', 'collector']);
    expect(sections.get('agent')).toContain('| cpuPercent | 0.5 |');
    expect(second).not.toContain('| cpuPercent | 2 |');
    expect(sections.get('collector')).toContain('| p99Ms | 40 |');
  });

  it('records a failed bench with the end of its output', () => {
    const failed: BenchOutcome = {
      ...outcome('isolation', {}),
      figures: undefined,
      error: 'exit 1: boom\nTypeError: x',
    };
    expect(renderResults('', [failed], machine, 'd')).toContain('**Failed:** exit 1: boom / TypeError: x');
  });
});

describe('unit flags', () => {
  const unit = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'kunit-'));
    writeFileSync(join(dir, 'x.service'), text);
    return join(dir, 'x.service');
  };

  it('reads NODE_OPTIONS quoted or not, and the node flags of ExecStart', () => {
    const u = unit(
      '[Service]\nExecStart=/usr/bin/node --no-opt --foo=1 /usr/bin/keelson agent --config x\nEnvironment="NODE_OPTIONS=--a=1 --b"\n',
    );
    expect(unitNodeOptions(u)).toBe('--a=1 --b');
    expect(unitNodeArgs(u)).toEqual(['--no-opt', '--foo=1']);
    const plain = unit(
      '[Service]\nExecStart=/usr/bin/keelson collector\nEnvironment=NODE_OPTIONS=--max-semi-space-size=32\n',
    );
    expect(unitNodeOptions(plain)).toBe('--max-semi-space-size=32');
    expect(unitNodeArgs(plain)).toEqual([]);
    expect(unitNodeOptions(unit('[Service]\nExecStart=/bin/true\n'))).toBe('');
  });

  it('gives the bench the agent unit flags production runs with', () => {
    const agent = join(REPO, 'packaging/systemd/keelson-agent.service');
    expect(unitNodeArgs(agent)).toContain('--no-opt');
    expect(unitNodeOptions(agent)).toContain('--max-semi-space-size=1');
  });
});

describe('threads', () => {
  it('names the main thread and sums CPU by thread', () => {
    expect(statComm(STAT)).toBe('node (keelson) x');
    const t = threadCpuSeconds(process.pid);
    expect([...t.keys()].some((k) => k.endsWith('(main)'))).toBe(true);
    for (const v of t.values()) expect(v).toBeGreaterThanOrEqual(0);
    expect(threadCpuSeconds(2 ** 22 + 12345).size).toBe(0);
  });
});
