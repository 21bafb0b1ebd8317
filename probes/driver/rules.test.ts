import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNvidiaVersion, parseProcModules } from './parse.ts';
import { evaluateFabricManager, evaluateModules, evaluateVersionMismatch } from './rules.ts';

const fx = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/driver', name), 'utf8');
const modules = (name: string) => parseProcModules(fx(`proc-modules/${name}`));

describe('evaluateModules', () => {
  it('is quiet when everything is loaded (nvidia_peermem or the older nv_peer_mem)', () => {
    expect(evaluateModules(modules('h100-ndr_all-loaded.txt'))).toEqual([]);
    expect(evaluateModules(modules('a100-hdr_nv-peer-mem.txt'))).toEqual([]);
  });

  it('is degraded when IB is loaded without a peer-memory module', () => {
    const [o] = evaluateModules(modules('h100-ndr_no-peermem.txt'));
    expect([o?.code, o?.component, o?.severity]).toEqual(['driver.module.missing', 'driver', 'degraded']);
    expect(o?.message).toContain('nvidia_peermem');
    expect(o?.evidence).toContain('missing: nvidia_peermem');
  });

  it('warns when nvidia_uvm is absent and does not ask for peermem without IB', () => {
    const [o, ...rest] = evaluateModules(modules('l40s-pcie_no-uvm.txt'));
    expect(rest).toEqual([]);
    expect([o?.code, o?.severity]).toEqual(['driver.module.missing', 'warn']);
    expect(o?.message).toContain('nvidia_uvm');
    expect(o?.message).not.toContain('peermem');
  });

  it('says nothing on a host without nvidia', () => {
    expect(evaluateModules(modules('cpu-node_no-nvidia.txt'))).toEqual([]);
  });
});

describe('evaluateVersionMismatch', () => {
  const kernel = parseNvidiaVersion(fx('proc-driver-nvidia-version/h100_535.161.08_proprietary.txt'));

  it('is quiet when the versions agree', () => {
    expect(evaluateVersionMismatch(kernel, { driverVersion: '535.161.08', cudaVersion: '12.2' })).toEqual([]);
    expect(evaluateVersionMismatch(kernel, undefined)).toEqual([]);
  });

  it('is fatal/reboot when they differ', () => {
    const [o] = evaluateVersionMismatch(kernel, { driverVersion: '535.183.01' });
    expect([o?.code, o?.severity, o?.action]).toEqual(['driver.version.mismatch', 'fatal', 'reboot']);
    expect(o?.message).toContain('535.161.08');
    expect(o?.message).toContain('535.183.01');
  });

  it('is fatal when NVML refuses with a mismatch, quoting the line', () => {
    const [o] = evaluateVersionMismatch(kernel, {
      mismatchLine: 'Failed to initialize NVML: Driver/library version mismatch',
      nvmlVersion: '535.183',
    });
    expect(o?.severity).toBe('fatal');
    expect(o?.evidence).toBe('Failed to initialize NVML: Driver/library version mismatch');
    expect(o?.message).toContain('NVML 535.183');
  });
});

describe('evaluateFabricManager', () => {
  it('matters only with NVSwitches and a known state', () => {
    expect(evaluateFabricManager(0, 'inactive')).toEqual([]);
    expect(evaluateFabricManager(4, 'active')).toEqual([]);
    expect(evaluateFabricManager(4, undefined)).toEqual([]);
  });

  it('is fatal/drain when inactive or failed, warn while activating', () => {
    for (const state of ['inactive', 'failed']) {
      const [o] = evaluateFabricManager(4, state);
      expect([o?.code, o?.severity, o?.action]).toEqual(['driver.fabricmanager.down', 'fatal', 'drain']);
    }
    expect(evaluateFabricManager(4, 'activating')[0]?.severity).toBe('warn');
  });
});
