/**
 * Followers: /dev/kmsg (a temp file standing in for it, a fake handle for EAGAIN/EPIPE, and the
 * real device when writable), the journalctl follower (a stand-in command) and dmesg polling.
 */
import { accessSync, closeSync, constants as fsc, openSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import type { CommandRunner } from '../runner.ts';
import type { KernelLine } from './parse.ts';
import { DmesgPoller, JournalFollower, KmsgFollower, type KmsgHandle } from './read.ts';

const BOOT = '11111111-2222-3333-4444-555555555555';
let dir: string;
let proc: string;
let kmsg: string;
let statePath: string;

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rec = (seq: number, usec: number, msg: string, prio = 6) => `${prio},${seq},${usec},-;${msg}\n`;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keelson-kmsg-'));
  proc = path.join(dir, 'proc');
  await mkdir(path.join(proc, 'sys/kernel/random'), { recursive: true });
  await writeFile(path.join(proc, 'sys/kernel/random/boot_id'), `${BOOT}\n`);
  await writeFile(path.join(proc, 'uptime'), '5.00 40.00\n');
  kmsg = path.join(dir, 'kmsg');
  statePath = path.join(dir, 'state', 'kmsg.json');
  await writeFile(
    kmsg,
    rec(1, 1_000_000, 'early boot line') +
      rec(2, 4_000_000, 'before the agent started') +
      ' SUBSYSTEM=pci\n' +
      rec(3, 6_000_000, 'after the agent started'),
  );
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function follower(extra: Partial<ConstructorParameters<typeof KmsgFollower>[0]> = {}) {
  const got: KernelLine[] = [];
  const f = new KmsgFollower({
    path: kmsg,
    procRoot: proc,
    statePath,
    pollMs: 20,
    saveEveryMs: 0,
    onLines: (ls) => got.push(...ls),
    ...extra,
  });
  return { f, got };
}

describe('KmsgFollower on a file standing in for /dev/kmsg', () => {
  it('first start: skips records older than the agent start, then follows appends', async () => {
    const { f, got } = follower();
    await f.start();
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ seq: 3, text: 'after the agent started', bootId: BOOT, format: 'kmsg' });
    await appendFile(kmsg, rec(4, 7_000_000, 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has fallen off the bus.', 3));
    await waitFor(() => got.length === 2);
    expect(got[1]).toMatchObject({ seq: 4, priority: 3 });
    await f.close();
    expect(JSON.parse(await readFile(statePath, 'utf8'))).toEqual({ bootId: BOOT, lastSeq: 4 });
    expect(f.health()).toMatchObject({ state: 'closed', lines: 2, skipped: 2 });
    await appendFile(kmsg, rec(5, 8_000_000, 'after close'));
    await new Promise((r) => setTimeout(r, 80));
    expect(got).toHaveLength(2);
  });

  it('restart on the same boot: resumes after the saved seq, whatever the uptime', async () => {
    await mkdir(path.dirname(statePath), { recursive: true });
    await writeFile(statePath, JSON.stringify({ bootId: BOOT, lastSeq: 1 }));
    const { f, got } = follower();
    await f.start();
    await waitFor(() => got.length === 2);
    expect(got.map((l) => l.seq)).toEqual([2, 3]);
    await f.close();
  });

  it("state from another boot: reads this boot's whole ring", async () => {
    await mkdir(path.dirname(statePath), { recursive: true });
    await writeFile(statePath, JSON.stringify({ bootId: 'previous-boot', lastSeq: 999 }));
    const { f, got } = follower();
    await f.start();
    await waitFor(() => got.length === 3);
    expect(got.map((l) => l.seq)).toEqual([1, 2, 3]);
    await f.close();
  });

  it('assembles a record written in two pieces', async () => {
    const { f, got } = follower();
    await f.start();
    await waitFor(() => got.length === 1);
    await appendFile(kmsg, '3,9,9000000,-;NVRM: Xid (PCI:00');
    await new Promise((r) => setTimeout(r, 60));
    expect(got).toHaveLength(1);
    await appendFile(kmsg, '00:3b:00): 79, pid=1, x\n');
    await waitFor(() => got.length === 2);
    expect(got[1]?.text).toBe('NVRM: Xid (PCI:0000:3b:00): 79, pid=1, x');
    await f.close();
  });

  it('rejects start with NOT_FOUND when the device cannot be opened', async () => {
    const { f } = follower({ path: path.join(dir, 'missing') });
    await expect(f.start()).rejects.toSatisfy((e: unknown) => isKeelsonError(e, 'NOT_FOUND'));
    expect(f.health().state).toBe('failed');
  });
});

describe('KmsgFollower with a fake device', () => {
  it('skips ahead on EPIPE, waits on EAGAIN, and reports other errors', async () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    const script: Array<string | Error> = [
      err('EPIPE'),
      rec(10, 9_000_000, 'after overwrite'),
      err('EAGAIN'),
      rec(11, 9_100_000, 'after waiting'),
      err('EIO'),
    ];
    const handle: KmsgHandle = {
      read: async (buf) => {
        const next = script.shift();
        if (next === undefined) throw err('EAGAIN');
        if (next instanceof Error) throw next;
        return buf.write(next);
      },
      close: async () => undefined,
    };
    const errors: Error[] = [];
    const { f, got } = follower({ openImpl: async () => handle, onError: (e) => errors.push(e) });
    await f.start();
    await waitFor(() => errors.length === 1);
    expect(got.map((l) => l.text)).toEqual(['after overwrite', 'after waiting']);
    expect(f.health()).toMatchObject({ overwritten: 1, state: 'failed' });
    expect(errors[0]?.message).toBe('EIO');
    await f.close();
  });
});

let kmsgWritable = false;
try {
  accessSync('/dev/kmsg', fsc.R_OK | fsc.W_OK);
  closeSync(openSync('/dev/kmsg', 'w'));
  closeSync(openSync('/dev/kmsg', fsc.O_RDONLY | fsc.O_NONBLOCK));
  kmsgWritable = true;
} catch {
  kmsgWritable = false;
}

describe.skipIf(!kmsgWritable)('KmsgFollower on the real /dev/kmsg (root)', () => {
  it('sees a real-format Xid line written to /dev/kmsg within 1 s', async () => {
    const marker = `${process.pid}${Date.now() % 100000}`;
    const got: KernelLine[] = [];
    const f = new KmsgFollower({ path: '/dev/kmsg', procRoot: '/proc', statePath, onLines: (ls) => got.push(...ls) });
    await f.start();
    const line = `<3>NVRM: Xid (PCI:0000:3b:00): 79, pid=${marker}, name=keelson-test, GPU has fallen off the bus.\n`;
    const fd = openSync('/dev/kmsg', 'w');
    const t0 = Date.now();
    try {
      const { writeSync } = await import('node:fs');
      writeSync(fd, line);
    } finally {
      closeSync(fd);
    }
    const hit = () => got.find((l) => l.text.includes(`pid=${marker}`));
    await waitFor(() => hit() !== undefined, 1000);
    expect(Date.now() - t0).toBeLessThanOrEqual(1000);
    expect(hit()).toMatchObject({ priority: 3, format: 'kmsg' });
    expect(hit()?.text).toBe(line.slice(3, -1));
    await f.close();
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as { lastSeq: number };
    expect(saved.lastSeq).toBeGreaterThanOrEqual(hit()?.seq ?? Number.POSITIVE_INFINITY);
  });
});

describe('JournalFollower', () => {
  const script = `
    const lines = [
      JSON.stringify({ MESSAGE: 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has fallen off the bus.', __REALTIME_TIMESTAMP: '1717409472123456', _BOOT_ID: 'b1', PRIORITY: '3' }),
      'not json',
      JSON.stringify({ MESSAGE: 'second', __REALTIME_TIMESTAMP: '1717409473000000' }),
    ];
    process.stdout.write(lines.join('\\n') + '\\n');
    setInterval(() => {}, 1000);
  `;
  it('delivers parsed json lines, skips garbage, and stops the process on close', async () => {
    const got: KernelLine[] = [];
    const f = new JournalFollower({
      command: process.execPath,
      args: ['-e', script],
      onLines: (ls) => got.push(...ls),
    });
    await f.start();
    await waitFor(() => got.length === 2);
    expect(got[0]).toMatchObject({ at: 1717409472123, bootId: 'b1', priority: 3, format: 'journalctl-json' });
    expect(got[1]?.text).toBe('second');
    expect(f.health()).toMatchObject({ source: 'journal', state: 'running', lines: 2, skipped: 1 });
    await f.close();
    expect(f.health().state).toBe('closed');
  });
  it('reports an exit as a failure', async () => {
    const errors: Error[] = [];
    const f = new JournalFollower({
      command: process.execPath,
      args: ['-e', 'process.stderr.write("No journal files were found.\\n"); process.exit(1)'],
      onLines: () => undefined,
      onError: (e) => errors.push(e),
    });
    await f.start();
    await waitFor(() => errors.length === 1);
    expect(f.health().state).toBe('failed');
    expect(errors[0]?.message).toContain('No journal files were found.');
    await f.close();
  });
  it('rejects with CMD_MISSING when the command does not exist', async () => {
    const f = new JournalFollower({ command: 'keelson-no-such-journalctl', onLines: () => undefined });
    await expect(f.start()).rejects.toSatisfy((e: unknown) => isKeelsonError(e, 'CMD_MISSING'));
  });
});

describe('DmesgPoller', () => {
  const runnerOf = (outputs: string[]): CommandRunner => ({
    run: async (cmd, args) => {
      expect([cmd, ...args]).toEqual(['dmesg', '--raw']);
      const stdout = outputs.shift();
      if (stdout === undefined) throw new Error('no more output');
      return { stdout, stderr: '', exitCode: 0 };
    },
  });
  const opts = { intervalMs: 1_000_000, timeoutMs: 1000, outputCapBytes: 1 << 20 };

  it('delivers only records newer than the start and than the last poll, including same-usec newcomers', async () => {
    const got: KernelLine[] = [];
    const p = new DmesgPoller({
      ...opts,
      runner: runnerOf([
        '<6>[    1.000000] old\n<3>[    6.000000] new one\n',
        '<6>[    1.000000] old\n<3>[    6.000000] new one\n<4>[    6.000000] same usec\n<4>[    7.500000] later\n',
      ]),
      onLines: (ls) => got.push(...ls),
      sinceMonotonicUs: 5_000_000,
      bootId: 'b9',
    });
    await p.poll();
    expect(got.map((l) => l.text)).toEqual(['new one']);
    await p.poll();
    expect(got.map((l) => l.text)).toEqual(['new one', 'same usec', 'later']);
    expect(got[2]).toMatchObject({ monotonicUs: 7_500_000, priority: 4, bootId: 'b9' });
  });
  it('without a start time, the first poll is only a baseline', async () => {
    const got: KernelLine[] = [];
    const p = new DmesgPoller({
      ...opts,
      runner: runnerOf(['<6>[    1.000000] a\n', '<6>[    1.000000] a\n<6>[    2.000000] b\n']),
      onLines: (ls) => got.push(...ls),
    });
    await p.start();
    expect(got).toEqual([]);
    await p.poll();
    expect(got.map((l) => l.text)).toEqual(['b']);
    await p.close();
  });
});
