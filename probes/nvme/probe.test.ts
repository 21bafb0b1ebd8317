import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import type { CommandOutput, CommandRunner } from '../runner.ts';
import type { ProbeContext } from '../types.ts';
import { nvmeProbe } from './probe.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nvme');
const fx = (name: string) => readFileSync(path.join(FIX, name), 'utf8');
const TREE = path.join(FIX, 'h100-2ctrl');

type Answer = CommandOutput | 'missing' | 'fail';

/** A runner serving canned answers by command line, honouring okExitCodes like the real one. */
function fakeRunner(answers: Record<string, Answer>, calls: string[] = []): CommandRunner {
  return {
    async run(command, args, opts) {
      const line = [command, ...args].join(' ');
      calls.push(line);
      const a = answers[line] ?? (answers[command] === 'missing' ? 'missing' : undefined);
      if (a === undefined || a === 'fail') throw new KeelsonError('CMD_FAILED', `${line} exited 1`);
      if (a === 'missing') throw new KeelsonError('CMD_MISSING', `${command} is not installed`);
      if (!(opts.okExitCodes ?? [0]).includes(a.exitCode))
        throw new KeelsonError('CMD_FAILED', `${line} exited ${a.exitCode}`);
      return a;
    },
  };
}

const ok = (stdout: string, exitCode = 0): CommandOutput => ({ stdout, stderr: '', exitCode });

function ctx(
  runner: CommandRunner,
  root = TREE,
  settings: Record<string, unknown> = {},
  clock = new ManualClock(1000),
): ProbeContext {
  return {
    runner,
    roots: { sys: path.join(root, 'sys'), proc: path.join(root, 'proc'), dev: '/dev' },
    clock,
    signal: new AbortController().signal,
    settings,
  };
}

const list = ok(fx('nvmecli2-list-nested_dgx-h100-3x.json'));
const healthyLog = ok(fx('nvmecli1-smart-log_pm9a3_healthy.json'));
const criticalLog = ok(fx('nvmecli2-smart-log_micron7450_critical-ro.json'));

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

describe('nvmeProbe.isSupported', () => {
  it('is unsupported, with the reason, when sysfs has no NVMe controllers', async () => {
    const s = await nvmeProbe.isSupported(ctx(fakeRunner({}), path.join(FIX, 'no-nvme')));
    expect(s.supported).toBe(false);
    expect(s.supported === false && s.reason).toContain(path.join('class', 'nvme'));
  });

  it('is supported when controllers exist', async () => {
    expect(await nvmeProbe.isSupported(ctx(fakeRunner({})))).toEqual({ supported: true });
  });
});

describe('nvmeProbe.run with nvme-cli', () => {
  it('reads each sysfs controller and reports the failing one', async () => {
    const calls: string[] = [];
    const runner = fakeRunner(
      {
        'nvme list -o json': list,
        'nvme smart-log /dev/nvme0 -o json': healthyLog,
        'nvme smart-log /dev/nvme1 -o json': criticalLog,
      },
      calls,
    );
    const r = await nvmeProbe.run(ctx(runner), undefined);
    // nvme2 is in `nvme list` but not in this sysfs tree; it is still read (and fails here: no canned answer).
    expect(calls).toEqual([
      'nvme list -o json',
      'nvme smart-log /dev/nvme0 -o json',
      'nvme smart-log /dev/nvme1 -o json',
      'nvme smart-log /dev/nvme2 -o json',
    ]);
    const byCode = r.observations.map((o) => `${o.code}@${o.component}:${o.severity}`).sort();
    expect(byCode).toContain('nvme.critical_warning@nvme1:fatal');
    expect(byCode).toContain('nvme.media_errors@nvme1:warn');
    expect(byCode).toContain('nvme.spare@nvme1:degraded');
    expect(byCode.filter((c) => c.includes('@nvme0'))).toEqual([]);
    expect(byCode).toContain('nvme.smart.unreadable@nvme2:warn');
    expect(r.facts?.nvmeTool).toBe('nvme-cli');
    expect(r.facts?.['nvme.nvme0']).toBe('SAMSUNG MZWLJ3T8HBLS-00007 S4YNNE0R200111 EPK9AB5Q');
    expect(r.metrics).toContainEqual({ name: 'nvme_temperature_celsius', value: 36, labels: { device: 'nvme0' } });
    expect(r.state?.media['nvme1|S4YNNE0R200112']).toEqual({ value: 1482, at: 1000 });
  });

  it('is degraded when media errors grow between runs', async () => {
    const clock = new ManualClock(0);
    const answers: Record<string, Answer> = {
      'nvme list -o json': list,
      'nvme smart-log /dev/nvme0 -o json': healthyLog,
      'nvme smart-log /dev/nvme1 -o json': criticalLog,
    };
    const first = await nvmeProbe.run(ctx(fakeRunner(answers), TREE, {}, clock), undefined);
    clock.advance(600_000);
    answers['nvme smart-log /dev/nvme1 -o json'] = ok(
      criticalLog.stdout.replace('"media_errors":"1482"', '"media_errors":"1490"'),
    );
    const second = await nvmeProbe.run(ctx(fakeRunner(answers), TREE, {}, clock), first.state);
    const media = second.observations.find((o) => o.code === 'nvme.media_errors');
    expect(media?.severity).toBe('degraded');
    expect(media?.message).toContain('grew by 8 to 1490');
  });

  it('reads controllers from sysfs when `nvme list` exits 1 with no devices', async () => {
    const r = await nvmeProbe.run(
      ctx(
        fakeRunner({
          'nvme list -o json': ok('', 1),
          'nvme smart-log /dev/nvme0 -o json': healthyLog,
          'nvme smart-log /dev/nvme1 -o json': healthyLog,
        }),
      ),
      undefined,
    );
    expect(r.observations).toEqual([]);
    expect(r.facts?.nvmeCount).toBe('2');
    expect(r.metrics.filter((m) => m.name === 'nvme_critical_warning')).toHaveLength(2);
  });

  it('reports a controller whose smart-log fails or is garbage', async () => {
    const r = await nvmeProbe.run(
      ctx(
        fakeRunner({
          'nvme list -o json': list,
          'nvme smart-log /dev/nvme0 -o json': ok('NVMe status: Invalid Field in Command(0x2)'),
          'nvme smart-log /dev/nvme1 -o json': 'fail',
        }),
      ),
      undefined,
    );
    const unreadable = r.observations.filter((o) => o.code === 'nvme.smart.unreadable').map((o) => o.component);
    expect(unreadable).toEqual(['nvme0', 'nvme1', 'nvme2']);
    expect(r.observations.find((o) => o.component === 'nvme0')?.evidence).toContain('PARSE_FAILED');
  });
});

describe('nvmeProbe.run fallbacks', () => {
  it('uses smartctl when nvme-cli is missing', async () => {
    const calls: string[] = [];
    const r = await nvmeProbe.run(
      ctx(
        fakeRunner(
          {
            nvme: 'missing',
            'smartctl -j -a /dev/nvme0': ok(fx('smartctl-a-j_pm9a3_healthy.json')),
            // Exit status 72 = bits 3 and 6: disk failing, error log entries. Still a successful read.
            'smartctl -j -a /dev/nvme1': ok(fx('smartctl-a-j_micron7450_reliability-degraded.json'), 72),
          },
          calls,
        ),
      ),
      undefined,
    );
    expect(calls).toEqual(['nvme list -o json', 'smartctl -j -a /dev/nvme0', 'smartctl -j -a /dev/nvme1']);
    expect(r.facts?.nvmeTool).toBe('smartctl');
    const cw = r.observations.find((o) => o.code === 'nvme.critical_warning');
    expect([cw?.component, cw?.severity]).toEqual(['nvme1', 'fatal']);
  });

  it('warns (never healthy) when neither tool is installed', async () => {
    const r = await nvmeProbe.run(ctx(fakeRunner({ nvme: 'missing', smartctl: 'missing' })), undefined);
    expect(r.observations.map((o) => [o.code, o.severity])).toEqual([['nvme.tool.missing', 'warn']]);
    expect(r.facts?.nvmeTool).toBe('none');
  });

  it('flags a dead controller from sysfs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'keelson-nvme-'));
    tmpRoots.push(root);
    cpSync(TREE, root, { recursive: true });
    writeFileSync(path.join(root, 'sys/class/nvme/nvme1/state'), 'dead\n');
    const r = await nvmeProbe.run(
      ctx(fakeRunner({ 'nvme list -o json': ok('', 1), 'nvme smart-log /dev/nvme0 -o json': healthyLog }), root),
      undefined,
    );
    const st = r.observations.find((o) => o.code === 'nvme.controller.state');
    expect([st?.component, st?.severity]).toEqual(['nvme1', 'degraded']);
  });
});

describe('nvmeProbe checkpoint volumes', () => {
  const answers = {
    'nvme list -o json': list,
    'nvme smart-log /dev/nvme0 -o json': healthyLog,
    'nvme smart-log /dev/nvme1 -o json': healthyLog,
    'nvme smart-log /dev/nvme2 -o json': healthyLog,
  };

  it('exports the used ratio and flags a full volume at the configured limit', async () => {
    const dir = tmpdir();
    const quiet = await nvmeProbe.run(
      ctx(fakeRunner(answers), TREE, { checkpointDirs: [dir], diskWarnRatio: 1 }),
      undefined,
    );
    const ratio = quiet.metrics.find((m) => m.name === 'host_disk_used_ratio');
    expect(ratio?.labels).toEqual({ path: dir });
    expect(ratio?.value).toBeGreaterThan(0);
    expect(ratio?.value).toBeLessThanOrEqual(1);
    expect(quiet.observations).toEqual([]);
    const full = await nvmeProbe.run(
      ctx(fakeRunner(answers), TREE, { checkpointDirs: [dir], diskWarnRatio: 0, diskDegradedRatio: 1 }),
      undefined,
    );
    expect(full.observations.map((o) => [o.code, o.component, o.severity])).toEqual([
      ['host.disk.full', `mount:${dir}`, 'warn'],
    ]);
  });

  it('reports a checkpoint directory that cannot be read', async () => {
    const r = await nvmeProbe.run(
      ctx(fakeRunner(answers), TREE, { checkpointDirs: ['/nonexistent/keelson/ckpt'] }),
      undefined,
    );
    expect(r.observations.map((o) => o.code)).toEqual(['host.disk.unreadable']);
  });

  it('rejects invalid settings with CONFIG_INVALID naming the key', async () => {
    await expect(nvmeProbe.run(ctx(fakeRunner(answers), TREE, { checkpointDirs: 'nope' }), undefined)).rejects.toThrow(
      /probes\.nvme\.checkpointDirs/,
    );
  });
});
