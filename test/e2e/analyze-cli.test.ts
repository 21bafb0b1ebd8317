/** `keelson analyze` as a process: its exit codes and output. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeelsonProcess, REPO_ROOT } from '../helpers/processes.ts';

const fx = (p: string) => join(REPO_ROOT, 'test/fixtures', p);

async function run(...args: string[]) {
  const p = new KeelsonProcess(['analyze', ...args]);
  const code = await p.exited;
  return { code, output: p.output };
}

describe('keelson analyze', () => {
  it('exits 1 and prints JSON findings for a fatal capture, 0 for a healthy one, 2 for garbage', async () => {
    const bad = await run('--json', fx('gpu/h100-8gpu-rowremap-failure.xml'));
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.output);
    expect(doc.findings.some((f: { code: string }) => f.code === 'gpu.rowremap.failure')).toBe(true);

    const good = await run(fx('gpu/h100-8gpu-healthy.xml'));
    expect(good.code).toBe(0);
    expect(good.output).toMatch(/h100-8gpu-healthy\.xml \(nvidia-smi-xml\)/);

    const garbage = await run(fx('analyze/not-a-capture.txt'));
    expect(garbage.code).toBe(2);
    expect(garbage.output).toMatch(/keelson analyze: PARSE_FAILED: .*not a format keelson recognises/);
    expect(garbage.output).toMatch(/known kinds: nvidia-smi-xml/);
  }, 30_000);
});
