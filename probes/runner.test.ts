import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../core/errors.ts';
import { processRunner } from './runner.ts';

const opts = { timeoutMs: 2000, outputCapBytes: 1024 };

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isKeelsonError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('processRunner', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const out = await processRunner.run('sh', ['-c', 'echo hi; echo err >&2'], opts);
    expect(out).toEqual({ stdout: 'hi\n', stderr: 'err\n', exitCode: 0 });
  });

  it('passes arguments without a shell', async () => {
    const out = await processRunner.run('echo', ['$(id)', ';', 'rm'], opts);
    expect(out.stdout).toBe('$(id) ; rm\n');
  });

  it('kills a command that runs past its timeout', async () => {
    const t0 = Date.now();
    expect(await codeOf(processRunner.run('sleep', ['10'], { ...opts, timeoutMs: 150 }))).toBe('CMD_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('kills a command that prints more than its cap', async () => {
    expect(await codeOf(processRunner.run('yes', [], { ...opts, outputCapBytes: 10_000 }))).toBe('CMD_OUTPUT_CAP');
  });

  it('tells a missing command apart from a failing one', async () => {
    expect(await codeOf(processRunner.run('keelson-no-such-tool', [], opts))).toBe('CMD_MISSING');
    expect(await codeOf(processRunner.run('sh', ['-c', 'exit 3'], opts))).toBe('CMD_FAILED');
    const out = await processRunner.run('sh', ['-c', 'echo x; exit 3'], { ...opts, okExitCodes: [0, 3] });
    expect(out.exitCode).toBe(3);
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    const p = processRunner.run('sleep', ['10'], { ...opts, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect(await codeOf(p)).toBe('CMD_TIMEOUT');
  });
});
