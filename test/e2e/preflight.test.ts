/**
 * `keelson preflight` as a process, with a fake nvidia-smi printing real-format captures and
 * a fixture /dev: exit 0 when healthy; 1 with the reasons when a GPU, the kernel log or a
 * hung tool says otherwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KeelsonProcess, REPO_ROOT, tempDir } from '../helpers/processes.ts';

const FAKES = join(REPO_ROOT, 'sim/fakes/bin');
const fx = (p: string) => join(REPO_ROOT, 'test/fixtures', p);

interface Result {
  healthy: boolean;
  probes: { probe: string; status: string }[];
  checks: { name: string; ok: boolean; detail: string }[];
  reasons: string[];
}

async function preflight(opts: { env?: Record<string, string>; kmsg?: string; config?: Record<string, unknown> }) {
  const dir = tempDir('keelson-preflight-');
  mkdirSync(join(dir, 'sys'));
  mkdirSync(join(dir, 'dev/shm'), { recursive: true });
  writeFileSync(join(dir, 'dev/kmsg'), opts.kmsg ?? '');
  const cfg = join(dir, 'agent.yaml');
  writeFileSync(
    cfg,
    stringify({
      stateDir: join(dir, 'state'),
      roots: { sys: join(dir, 'sys'), proc: '/proc', dev: join(dir, 'dev') },
      ...opts.config,
    }),
  );
  const p = new KeelsonProcess(['preflight', '--json', '--config', cfg], {
    PATH: `${FAKES}:${process.env.PATH}`,
    ...opts.env,
  });
  const code = await p.exited;
  return { code, result: JSON.parse(p.output.split('\n').find((l) => l.startsWith('{')) ?? '{}') as Result };
}

describe('keelson preflight', () => {
  it('exits 0 on a healthy 8-GPU node', async () => {
    const { code, result } = await preflight({ env: { KEELSON_FAKE_SMI_XML: fx('gpu/h100-8gpu-healthy.xml') } });
    expect(result.reasons).toEqual([]);
    expect(code).toBe(0);
    expect(result.probes.find((p) => p.probe === 'gpu')?.status).toBe('ok');
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['shm', true],
      ['state-dir', true],
      ['kernel-log', true],
    ]);
  }, 30_000);

  it('exits 1 naming a failed row remap', async () => {
    const { code, result } = await preflight({
      env: { KEELSON_FAKE_SMI_XML: fx('gpu/h100-8gpu-rowremap-failure.xml') },
    });
    expect(code).toBe(1);
    expect(result.reasons.join('\n')).toMatch(/fatal gpu\.rowremap\.failure gpu:/);
  }, 30_000);

  it('exits 1 when the kernel log since boot holds an Xid 79', async () => {
    const { code, result } = await preflight({
      env: { KEELSON_FAKE_SMI_XML: fx('gpu/h100-8gpu-healthy.xml') },
      kmsg: '3,812,4123456789,-;NVRM: Xid (PCI:0000:3b:00): 79, pid=1, name=python3, GPU has fallen off the bus.\n',
    });
    expect(code).toBe(1);
    expect(result.checks.find((c) => c.name === 'kernel-log')).toMatchObject({ ok: false });
    expect(result.reasons.join('\n')).toMatch(/gpu\.xid\.79 gpu:0000:3b:00\.0/);
  }, 30_000);

  it('exits 1, on time, when nvidia-smi hangs', async () => {
    const t0 = Date.now();
    const { code, result } = await preflight({
      env: { KEELSON_FAKE_SMI_HANG: '1' },
      config: { probes: { gpu: { timeoutMs: 1500 } } },
    });
    expect(code).toBe(1);
    expect(result.reasons.join('\n')).toMatch(/gpu/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 30_000);
});
