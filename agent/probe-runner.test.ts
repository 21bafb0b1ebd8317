import { describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { processRunner } from '../probes/runner.ts';
import type { Probe, ProbeContext } from '../probes/types.ts';
import { probeFailedObservation, runProbeOnce } from './probe-runner.ts';

const ctx: Omit<ProbeContext, 'signal'> = {
  runner: processRunner,
  roots: { sys: '/sys', proc: '/proc', dev: '/dev' },
  clock: systemClock,
  settings: {},
};
const defaults = { intervalSec: 10, timeoutMs: 1000, outputCapBytes: 1024 };
const probe = (run: Probe['run'], isSupported: Probe['isSupported'] = async () => ({ supported: true })): Probe => ({
  name: 't',
  defaults,
  isSupported,
  run,
});

describe('runProbeOnce', () => {
  it('passes a good result and its state through', async () => {
    const o = await runProbeOnce(
      probe(async () => ({ observations: [], metrics: [{ name: 'x', value: 1 }], state: { n: 1 } })),
      ctx,
      undefined,
      1000,
      systemClock,
    );
    expect(o.status).toBe('ok');
    expect(o.state).toEqual({ n: 1 });
    expect(o.result?.metrics).toHaveLength(1);
  });

  it('reports a probe that hangs as timed out, on time', async () => {
    const t0 = Date.now();
    const o = await runProbeOnce(
      probe(() => new Promise(() => {})),
      ctx,
      undefined,
      200,
      systemClock,
    );
    expect(o.status).toBe('timeout');
    expect(o.reason).toMatch(/200 ms/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('reports a probe that throws, with the reason', async () => {
    const o = await runProbeOnce(
      probe(async () => {
        throw new Error('boom');
      }),
      ctx,
      undefined,
      1000,
      systemClock,
    );
    expect(o).toMatchObject({ status: 'failed', reason: 'boom' });
    expect(probeFailedObservation(o)).toMatchObject({ code: 'probe.failed', component: 'probe:t', severity: 'warn' });
  });

  it('reports a missing command by its code', async () => {
    const o = await runProbeOnce(
      probe(async (c) => {
        await c.runner.run('/nonexistent/keelson-tool', [], { timeoutMs: 500, outputCapBytes: 1024, signal: c.signal });
        return { observations: [], metrics: [] };
      }),
      ctx,
      undefined,
      1000,
      systemClock,
    );
    expect(o.status).toBe('failed');
    expect(o.reason).toMatch(/^CMD_MISSING/);
  });

  it('reports a malformed result as failed', async () => {
    const o = await runProbeOnce(
      probe(async () => ({}) as never),
      ctx,
      undefined,
      1000,
      systemClock,
    );
    expect(o).toMatchObject({ status: 'failed', reason: 'returned a malformed result' });
  });

  it('reports unsupported without running', async () => {
    let ran = false;
    const o = await runProbeOnce(
      probe(
        async () => {
          ran = true;
          return { observations: [], metrics: [] };
        },
        async () => ({ supported: false, reason: 'no InfiniBand devices' }),
      ),
      ctx,
      undefined,
      1000,
      systemClock,
    );
    expect(o).toMatchObject({ status: 'unsupported', reason: 'no InfiniBand devices' });
    expect(ran).toBe(false);
  });
});
