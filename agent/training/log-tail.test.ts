/** LogTail on real files: appends only, rotation (new inode), truncation, late creation, partial lines. */
import { appendFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/processes.ts';
import { LogTail } from './log-tail.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(startAt: 'end' | 'start' = 'end') {
  const dir = tempDir('keelson-tail-');
  dirs.push(dir);
  const file = join(dir, 'train.log');
  const got: string[] = [];
  const tail = new LogTail({ path: file, startAt, onLines: (l) => got.push(...l) });
  return { file, got, tail };
}

describe('LogTail', () => {
  it('starts at the end of an existing file and reads only what is appended, across partial lines', async () => {
    const { file, got, tail } = setup();
    writeFileSync(file, 'old 1\nold 2\n');
    await tail.poll();
    appendFileSync(file, 'new 1\nnew ');
    await tail.poll();
    expect(got).toEqual(['new 1']);
    appendFileSync(file, '2\n');
    await tail.poll();
    expect(got).toEqual(['new 1', 'new 2']);
  });

  it('startAt start reads the whole file', async () => {
    const { file, got, tail } = setup('start');
    writeFileSync(file, 'a\nb\n');
    await tail.poll();
    expect(got).toEqual(['a', 'b']);
  });

  it('a file created after start is read from its beginning', async () => {
    const { file, got, tail } = setup();
    await tail.poll();
    expect(tail.state.state).toBe('waiting');
    writeFileSync(file, 'first\n');
    await tail.poll();
    expect(got).toEqual(['first']);
  });

  it('rotation: drains the old file, then reads the new one from 0', async () => {
    const { file, got, tail } = setup();
    writeFileSync(file, '');
    await tail.poll();
    appendFileSync(file, 'a\n');
    await tail.poll();
    appendFileSync(file, 'b (written just before rotation)\n');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'c\n');
    await tail.poll();
    expect(got).toEqual(['a', 'b (written just before rotation)', 'c']);
    expect(tail.state.rotations).toBe(1);
  });

  it('rotation with a gap (path missing for a poll)', async () => {
    const { file, got, tail } = setup();
    writeFileSync(file, '');
    await tail.poll();
    appendFileSync(file, 'x\n');
    renameSync(file, `${file}.1`);
    await tail.poll();
    writeFileSync(file, 'y\n');
    await tail.poll();
    expect(got).toEqual(['x', 'y']);
  });

  it('truncation (copytruncate): reads again from 0', async () => {
    const { file, got, tail } = setup();
    writeFileSync(file, 'line one that is long\n');
    await tail.poll();
    truncateSync(file, 0);
    appendFileSync(file, 'after\n');
    await tail.poll();
    expect(got).toEqual(['after']);
    expect(tail.state.truncations).toBe(1);
  });

  it('start/stop polls on a timer', async () => {
    const dir = tempDir('keelson-tail-');
    dirs.push(dir);
    const file = join(dir, 'x.log');
    writeFileSync(file, '');
    const got: string[] = [];
    const tail = new LogTail({ path: file, pollMs: 20, onLines: (l) => got.push(...l) });
    tail.start();
    await new Promise((r) => setTimeout(r, 60));
    appendFileSync(file, 'tick\n');
    await new Promise((r) => setTimeout(r, 120));
    await tail.stop();
    expect(got).toEqual(['tick']);
    expect(tail.state.state).toBe('stopped');
  });
});
