/**
 * The systemd units: `systemd-analyze verify` accepts both (in a temporary root holding a stub
 * /usr/bin/keelson and this host's own unit library), the offline security review scores them
 * as hardened, and the agent's sandbox still lets it reach what it reads.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/processes.ts';

const UNITS = join(REPO_ROOT, 'packaging/systemd');
const UNIT_LIBRARY = '/usr/lib/systemd/system';
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const canAnalyze = analyze.status === 0 && existsSync(join(UNIT_LIBRARY, 'sysinit.target'));
if (!canAnalyze) {
  console.warn(
    'skipping systemd unit verification: systemd-analyze or the unit library is missing (apt-get install systemd)',
  );
}

/** Every `Key=value` of a unit file, in order (repeated keys keep every value). */
function unitEntries(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

const agentUnit = unitEntries(readFileSync(join(UNITS, 'keelson-agent.service'), 'utf8'));
const collectorUnit = unitEntries(readFileSync(join(UNITS, 'keelson-collector.service'), 'utf8'));

/** A root with stub keelson and node, the host's unit library and our units in /etc/systemd/system. */
function fakeRoot(units: Record<string, string>): string {
  const root = tempDir('keelson-systemd-');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  for (const bin of ['keelson', 'node']) {
    writeFileSync(join(root, 'usr/bin', bin), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/bin', bin), 0o755);
  }
  cpSync(UNIT_LIBRARY, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  for (const [name, text] of Object.entries(units)) writeFileSync(join(root, 'etc/systemd/system', name), text);
  return root;
}

function verify(root: string, names: string[]) {
  const r = spawnSync(
    'systemd-analyze',
    ['verify', `--root=${root}`, '--man=no', ...names.map((n) => `/etc/systemd/system/${n}`)],
    { encoding: 'utf8' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function exposure(root: string, name: string): number {
  const r = spawnSync(
    'systemd-analyze',
    ['security', '--offline=yes', `--root=${root}`, `/etc/systemd/system/${name}`],
    {
      encoding: 'utf8',
    },
  );
  const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`no exposure level in: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

const read = (name: string) => readFileSync(join(UNITS, name), 'utf8');

describe.skipIf(!canAnalyze)('systemd units (systemd-analyze)', () => {
  it('verify accepts both units with no warnings', () => {
    const names = ['keelson-agent.service', 'keelson-collector.service'];
    const root = fakeRoot(Object.fromEntries(names.map((n) => [n, read(n)])));
    expect(verify(root, names)).toEqual({ status: 0, output: '' });
  });

  it('verify is not a rubber stamp: it rejects an unknown key and a missing binary', () => {
    const root = fakeRoot({
      'bad-key.service': read('keelson-agent.service').replace('\n[Service]\n', '\n[Service]\nRestartt=always\n'),
      'bad-exec.service': read('keelson-collector.service').replace('/usr/bin/keelson', '/usr/bin/keelson-missing'),
    });
    expect(verify(root, ['bad-key.service']).output).toMatch(/Unknown key 'Restartt'/);
    const missing = verify(root, ['bad-exec.service']);
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/keelson-missing is not executable/);
  });

  it('the offline security review rates both units as hardened', () => {
    const root = fakeRoot({
      'keelson-agent.service': read('keelson-agent.service'),
      'keelson-collector.service': read('keelson-collector.service'),
    });
    // 0 = fully locked down, 10 = unprotected; a stock unit scores 9.6 ("UNSAFE").
    expect(exposure(root, 'keelson-agent.service')).toBeLessThanOrEqual(4);
    expect(exposure(root, 'keelson-collector.service')).toBeLessThanOrEqual(2);
  });
});

describe('the agent unit allows what the agent needs', () => {
  it('keeps the kernel log, GPU devices, /dev/shm and its socket reachable under ProtectSystem=strict', () => {
    expect(agentUnit.get('ProtectSystem')).toEqual(['strict']);
    expect(agentUnit.get('ReadWritePaths')).toContain('/dev/shm');
    expect(agentUnit.get('RuntimeDirectory')).toEqual(['keelson']);
    expect(agentUnit.get('ExecStart')?.[0]).toMatch(/--socket \/run\/keelson\/agent\.sock/);
    expect(agentUnit.get('StateDirectory')).toEqual(['keelson']);
    expect(agentUnit.get('EnvironmentFile')).toEqual(['-/etc/keelson/agent.env']);
    expect(agentUnit.get('DevicePolicy')).toEqual(['closed']);
    const devices = agentUnit.get('DeviceAllow') ?? [];
    expect(devices).toContain('/dev/kmsg r');
    expect(devices).toEqual(expect.arrayContaining(['char-nvidia-frontend rw', 'char-nvidia-uvm rw', 'char-nvme r']));
    // ProtectKernelLogs would hide /dev/kmsg; PrivateDevices would hide /dev/nvidia*.
    expect(agentUnit.has('ProtectKernelLogs')).toBe(false);
    expect(agentUnit.has('PrivateDevices')).toBe(false);
    expect(agentUnit.get('CapabilityBoundingSet')?.[0]?.split(' ').sort()).toEqual([
      'CAP_DAC_OVERRIDE',
      'CAP_SYSLOG',
      'CAP_SYS_ADMIN',
    ]);
  });

  it('restarts always and sets no watchdog (the agent does not speak sd_notify)', () => {
    for (const unit of [agentUnit, collectorUnit]) {
      expect(unit.get('Restart')).toEqual(['always']);
      expect(unit.has('WatchdogSec')).toBe(false);
      expect(unit.get('Type')).toEqual(['simple']);
    }
  });

  it('runs the collector unprivileged with no capabilities and no devices', () => {
    expect(collectorUnit.get('User')).toEqual(['keelson']);
    expect(collectorUnit.get('CapabilityBoundingSet')).toEqual(['']);
    expect(collectorUnit.get('PrivateDevices')).toEqual(['yes']);
    expect(read('keelson.sysusers.conf')).toMatch(/^u keelson /m);
  });
});
