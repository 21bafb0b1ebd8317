/** The training config fragment: defaults, validation, and the monitor options it gives. */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { monitorOptions, trainingConfigSchema } from './config.ts';

describe('trainingConfigSchema', () => {
  it('defaults: socket under the state dir, 1 s ticks, default detectors', () => {
    const c = trainingConfigSchema.parse({});
    const o = monitorOptions(c, {
      nodeId: 'n',
      stateDir: '/var/lib/keelson',
      procRoot: '/proc',
      clock: systemClock,
      log: silentLogger(),
      onObservations: () => {},
    });
    expect(o.socketPath).toBe('/var/lib/keelson/train.sock');
    expect(o.tickMs).toBe(1000);
    expect(o.detectors?.hang.k).toBe(2.5);
    expect(o.detectors?.hang.floorMs).toBe(60_000);
  });

  it('refuses unknown keys, unknown formats and process targets with neither pids nor pattern', () => {
    expect(trainingConfigSchema.safeParse({ bogus: 1 }).success).toBe(false);
    expect(trainingConfigSchema.safeParse({ logs: [{ path: '/x', job: 'j', formats: ['nemo'] }] }).success).toBe(false);
    expect(trainingConfigSchema.safeParse({ processes: [{ job: 'j' }] }).success).toBe(false);
    expect(trainingConfigSchema.parse({ detectors: { hang: { floorMs: 5000 } } }).detectors.hang).toMatchObject({
      floorMs: 5000,
      k: 2.5,
    });
  });
});
