import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { tempDir } from '../../test/helpers/processes.ts';
import { CommandRestartHook, ExecNotifier, expandArgs } from './exec-hook.ts';

describe('exec hooks', () => {
  it('expands placeholders inside arguments without a shell', () => {
    expect(expandArgs(['--node={node}', '{job}', '{unknown}', '$(rm -rf /)'], { node: 'gpu01', job: 'j' })).toEqual([
      '--node=gpu01',
      'j',
      '{unknown}',
      '$(rm -rf /)',
    ]);
  });

  it('runs the command with the event on stdin and arguments taken literally', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const script = 'cat > "$1"; printf "%s\\n" "$2" >> "$1"';
    const n = new ExecNotifier({ command: ['/bin/sh', '-c', script, 'hook', out, '{node};touch /tmp/pwned-{type}'] });
    await n.notify({ type: 'isolate', node: 'gpu01', at: 7 });
    const [json, arg] = readFileSync(out, 'utf8').trim().split('\n');
    expect(JSON.parse(json!)).toEqual({ type: 'isolate', node: 'gpu01', at: 7 });
    expect(arg).toBe('gpu01;touch /tmp/pwned-isolate');
  });

  it('the restart hook reports a failing command with a stable code, once (no retry of a restart)', async () => {
    const dir = tempDir();
    const count = join(dir, 'count');
    const hook = new CommandRestartHook({ command: ['/bin/sh', '-c', `echo x >> ${count}; exit 3`] });
    await expect(hook.restartLocal({ job: 'j', node: 'n', attempt: 1, reason: 'r' })).rejects.toSatisfy((e) =>
      isKeelsonError(e, 'CMD_FAILED'),
    );
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
