/** ProcessWatch against a fixture /proc tree and a real child process. */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { tempDir, waitFor } from '../../test/helpers/processes.ts';
import { decodeWaitStatus, ProcessWatch, parseProcStat } from './process-watch.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A /proc/<pid>/stat line: state, start time (field 22) and exit status (field 52). */
function statLine(pid: number, state: string, start: number, exitStatus = 0): string {
  const f = Array.from({ length: 50 }, () => '0');
  f[0] = state;
  f[19] = String(start);
  f[49] = String(exitStatus);
  return `${pid} (python3 x) ${f.join(' ')}\n`;
}

function proc(root: string, pid: number, cmd: string[], state = 'S', start = 1000, exitStatus = 0, env = ''): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), 'stat'), statLine(pid, state, start, exitStatus));
  writeFileSync(join(root, String(pid), 'cmdline'), `${cmd.join('\0')}\0`);
  writeFileSync(join(root, String(pid), 'environ'), env);
}

describe('parseProcStat / decodeWaitStatus', () => {
  it('reads state, start time and the zombie exit status even with ) in the name', () => {
    expect(parseProcStat(statLine(7, 'Z', 555, 256))).toEqual({ state: 'Z', startTime: '555', exitStatus: 256 });
    expect(decodeWaitStatus(256)).toEqual({ exitCode: 1 });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: -9, signal: 'signal 9' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('ProcessWatch', () => {
  it('finds ranks by pattern (rank from the environment), reports a zombie exit code and the output diagnosis', async () => {
    const root = tempDir('keelson-proc-');
    dirs.push(root);
    const out = join(root, 'rank1.out');
    writeFileSync(
      out,
      'step 1\nstep 2\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1 GiB\n',
    );
    proc(root, 200, ['python3', 'train.py', '--cfg', 'x'], 'S', 1000, 0, 'HOME=/root\0RANK=1\0');
    proc(root, 201, ['bash']);
    const w = new ProcessWatch({
      procRoot: root,
      clock: new ManualClock(0),
      targets: [{ job: 'j', pattern: 'train\\.py', outputFiles: [out] }],
    });
    expect(await w.poll(1)).toEqual([]);
    expect(w.processes()).toEqual([{ job: 'j', pid: 200, rank: 1, cmd: 'python3 train.py --cfg x' }]);
    writeFileSync(join(root, '200', 'stat'), statLine(200, 'Z', 1000, 1 << 8));
    const [ev] = await w.poll(2);
    expect(ev?.exit).toEqual({ job: 'j', pid: 200, rank: 1, exitCode: 1, at: 2 });
    expect(ev?.diagnosis?.signature.id).toBe('cuda_oom');
    expect(ev?.lastLines).toEqual([
      'Traceback (most recent call last):',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1 GiB',
    ]);
    expect(w.processes()).toEqual([]);
  });

  it('by PID: disappearance without a zombie gives an unknown exit code; a reused pid counts as gone', async () => {
    const root = tempDir('keelson-proc-');
    dirs.push(root);
    proc(root, 300, ['python3', 'a.py']);
    proc(root, 301, ['python3', 'b.py']);
    const w = new ProcessWatch({
      procRoot: root,
      clock: new ManualClock(0),
      targets: [{ job: 'k', pids: [300, 301] }],
    });
    await w.poll(0);
    rmSync(join(root, '300'), { recursive: true });
    proc(root, 301, ['python3', 'other.py'], 'S', 9999);
    const evs = await w.poll(5);
    expect(evs.map((e) => [e.exit.pid, e.exit.exitCode])).toEqual([
      [300, null],
      [301, null],
    ]);
  });

  it('our own child: the exact exit code', async () => {
    const w = new ProcessWatch({ procRoot: '/nonexistent', clock: new ManualClock(42), targets: [] });
    const child = spawn(process.execPath, ['-e', 'process.exit(3)']);
    w.trackChild('c', child, 0);
    const evs = await waitFor(async () => {
      const e = await w.poll(0);
      return e.length ? e : undefined;
    }, 5000);
    expect(evs[0]?.exit).toEqual({ job: 'c', pid: child.pid, rank: 0, exitCode: 3, at: 42 });
  });
});
