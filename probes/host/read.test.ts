import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeelsonError } from '../../core/errors.ts';
import type { CommandRunner, RunOptions } from '../runner.ts';
import { keptBySystemInformation } from './mounts.ts';
import { readFilesystems, readHost } from './read.ts';

const onLinux = process.platform === 'linux';

/** A runner that answers from a table and records what it was asked. */
function fakeRunner(answer: (cmd: string, args: readonly string[]) => string | Error): CommandRunner & {
  calls: { cmd: string; args: readonly string[]; opts: RunOptions }[];
} {
  const calls: { cmd: string; args: readonly string[]; opts: RunOptions }[] = [];
  return {
    calls,
    async run(cmd, args, opts) {
      calls.push({ cmd, args, opts });
      const a = answer(cmd, args);
      if (a instanceof Error) throw a;
      return { stdout: a, stderr: '', exitCode: 0 };
    },
  };
}

const noCommands = fakeRunner(() => new Error('no command expected'));

describe.skipIf(!onLinux)('readHost on this machine', () => {
  it('lists the file systems df -kPTx squashfs lists (after systeminformation filter), with its sizes', async () => {
    const raw = await readHost({ runner: noCommands, commandTimeoutMs: 5_000 });
    const df = execFileSync('df', ['-kPTx', 'squashfs'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const want = df
      .split('\n')
      .slice(1)
      .map((l) => /^(.+?)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(.+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null && keptBySystemInformation(m[1]!, m[2]!, m[6]!))
      .map((m) => ({ fs: m[1], type: m[2], mount: m[6], size: Number(m[3]) * 1024, available: Number(m[5]) * 1024 }));
    const got = raw.fsSize as { fs: string; type: string; mount: string; size: number; available: number }[];
    expect(got.map((r) => [r.fs, r.type, r.mount])).toEqual(want.map((r) => [r.fs, r.type, r.mount]));
    got.forEach((r, i) => {
      expect(r.size).toBe(want[i]!.size);
      // others write to these disks between the two readings
      expect(Math.abs(r.available - want[i]!.available)).toBeLessThan(256 * 1024 * 1024);
    });
    expect(noCommands.calls).toHaveLength(0);
  });

  it('reads memory and CPUs from /proc', async () => {
    const raw = await readHost({ runner: noCommands, commandTimeoutMs: 5_000 });
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    expect((raw.mem as { total: number }).total).toBe(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1]) * 1024);
    const { cpus } = await import('node:os');
    expect(raw.cpus).toBe(cpus().length);
    expect(raw.loadavg).toHaveLength(3);
  });
});

describe.skipIf(!onLinux)('readFilesystems', () => {
  const table = `27 1 254:0 / / rw - ext4 /dev/vda rw
33 27 0:50 / /home rw - nfs4 storage:/export/home rw
35 27 0:51 / /lustre rw - lustre 10.1.0.1@o2ib:/fs1 rw
`;

  it('measures network mounts in one stat -f child with a timeout, local ones with statfs', async () => {
    const runner = fakeRunner((cmd) =>
      cmd === 'stat' ? '262144 131072 120000 4096 /home\n1000 10 5 1048576 /lustre\n' : new Error(cmd),
    );
    const rows = await readFilesystems({ runner, commandTimeoutMs: 3_000 }, table);
    expect(runner.calls.map((c) => [c.cmd, ...c.args])).toEqual([
      ['stat', '-f', '-c', '%b %f %a %S %n', '--', '/home', '/lustre'],
    ]);
    expect(runner.calls[0]?.opts.timeoutMs).toBe(3_000);
    expect(rows.map((r) => r.mount)).toEqual(['/', '/home', '/lustre']);
    expect(rows[1]).toMatchObject({ fs: 'storage:/export/home', size: 262144 * 4096, used: 131072 * 4096 });
    expect(rows[2]).toMatchObject({ fs: '10.1.0.1@o2ib:/fs1', type: 'lustre', available: 5 * 1048576 });
  });

  it('leaves out a network mount whose statfs failed, and fails the run when the child times out', async () => {
    const partial = fakeRunner(() => '262144 131072 120000 4096 /home\n');
    expect((await readFilesystems({ runner: partial, commandTimeoutMs: 1_000 }, table)).map((r) => r.mount)).toEqual([
      '/',
      '/home',
    ]);
    const hung = fakeRunner(() => new KeelsonError('CMD_TIMEOUT', 'stat did not finish within 1000 ms'));
    await expect(readFilesystems({ runner: hung, commandTimeoutMs: 1_000 }, table)).rejects.toMatchObject({
      code: 'CMD_TIMEOUT',
    });
  });

  it('corrects zfs rows from zfs list, and keeps df figures when zfs list fails', async () => {
    const zfsRoot = '27 1 0:40 / / rw - zfs rpool/ROOT rw\n';
    const runner = fakeRunner((cmd) => (cmd === 'zfs' ? 'rpool/ROOT\t1000\t3000\t/\n' : new Error(cmd)));
    const [row] = await readFilesystems({ runner, commandTimeoutMs: 3_000 }, zfsRoot);
    expect(row).toMatchObject({ fs: 'rpool/ROOT', type: 'zfs', used: 1000, available: 3000, size: 4000 });
    const failing = fakeRunner(() => new Error('zfs: command not found'));
    const [plain] = await readFilesystems({ runner: failing, commandTimeoutMs: 3_000 }, zfsRoot);
    expect(plain?.size).toBeGreaterThan(4000);
  });

  it('spawns nothing on a host with only local file systems', async () => {
    const runner = fakeRunner(() => new Error('unexpected'));
    await readFilesystems({ runner, commandTimeoutMs: 3_000 }, '27 1 254:0 / / rw - ext4 /dev/vda rw\n');
    expect(runner.calls).toHaveLength(0);
  });
});
