import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { runCommand } from './command.ts';

describe('runCommand', () => {
  it('survives a command that exits without reading its input (EPIPE is not an uncaught error)', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    for (let i = 0; i < 5; i++) {
      const r = await runCommand('true', [], { timeoutMs: 5000, input: big });
      expect(r.stdout).toBe('');
    }
    const err = await runCommand('sh', ['-c', 'exit 3'], { timeoutMs: 5000, input: big }).catch((e) => e);
    expect(isKeelsonError(err, 'CMD_FAILED')).toBe(true);
  });

  it('passes input to a command that reads it', async () => {
    const r = await runCommand('cat', [], { timeoutMs: 5000, input: 'hello\n' });
    expect(r.stdout).toBe('hello\n');
  });
});
