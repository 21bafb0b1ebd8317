import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  ncclVersionFromFileName,
  parseCudaVersionFile,
  parseNcclHeader,
  parseNvidiaVersion,
  parseOfedInfo,
  parseProcModules,
  parseSmiDriverVersions,
  parseSmiHeader,
  parseSystemctlIsActive,
} from './parse.ts';

const fx = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/driver', name), 'utf8');

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parseNvidiaVersion', () => {
  it('reads the proprietary module line', () => {
    const k = parseNvidiaVersion(fx('proc-driver-nvidia-version/h100_535.161.08_proprietary.txt'));
    expect(k.version).toBe('535.161.08');
    expect(k.flavor).toBe('proprietary');
    expect(k.arch).toBe('x86_64');
    expect(k.gcc).toBe('gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04)');
    expect(k.line).toMatch(/^NVRM version: NVIDIA UNIX x86_64 Kernel Module {2}535\.161\.08/);
  });

  it('reads the open module line with its architecture', () => {
    const k = parseNvidiaVersion(fx('proc-driver-nvidia-version/gh200_550.54.15_open-aarch64.txt'));
    expect([k.version, k.flavor, k.arch]).toEqual(['550.54.15', 'open', 'aarch64']);
    const x = parseNvidiaVersion(fx('proc-driver-nvidia-version/h100_560.35.03_open-x86_64.txt'));
    expect([x.version, x.flavor, x.arch]).toEqual(['560.35.03', 'open', 'x86_64']);
  });

  it('reads two-part versions of old drivers', () => {
    expect(parseNvidiaVersion(fx('proc-driver-nvidia-version/p100_390.48_proprietary.txt')).version).toBe('390.48');
  });

  it('rejects text without an NVRM line or version', () => {
    expect(
      isKeelsonError(
        errorOf(() => parseNvidiaVersion('')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        errorOf(() => parseNvidiaVersion('NVRM version: NVIDIA UNIX')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('parseProcModules', () => {
  it('reads name, refcount, users and state', () => {
    const mods = parseProcModules(fx('proc-modules/h100-ndr_all-loaded.txt'));
    expect(mods).toHaveLength(17);
    const nvidia = mods.find((m) => m.name === 'nvidia');
    expect(nvidia).toEqual({
      name: 'nvidia',
      sizeBytes: 56688640,
      refcount: 1183,
      usedBy: ['nvidia_fs', 'nvidia_peermem', 'nvidia_uvm', 'nvidia_modeset'],
      state: 'Live',
    });
    expect(mods.find((m) => m.name === 'nvidia_uvm')?.usedBy).toEqual([]);
  });

  it('accepts an empty file and rejects text with no module line', () => {
    expect(parseProcModules('')).toEqual([]);
    expect(
      isKeelsonError(
        errorOf(() => parseProcModules('hello world\n')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('parseSmiHeader', () => {
  it('reads the driver and CUDA versions from the table header', () => {
    expect(parseSmiHeader(fx('nvidia-smi/h100x8_535.161.08_table.txt'))).toEqual({
      driverVersion: '535.161.08',
      cudaVersion: '12.2',
    });
  });

  it('recognises NVML refusing to start on a version mismatch', () => {
    expect(parseSmiHeader(fx('nvidia-smi/driver-library-mismatch_535.183.txt'))).toEqual({
      mismatchLine: 'Failed to initialize NVML: Driver/library version mismatch',
      nvmlVersion: '535.183',
    });
  });

  it('rejects output with neither', () => {
    expect(
      isKeelsonError(
        errorOf(() => parseSmiHeader(fx('nvidia-smi/no-driver.txt'))),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('other version sources', () => {
  it('parses the driver_version query, one line per GPU', () => {
    expect(parseSmiDriverVersions(fx('nvidia-smi/query-driver-version_8gpu.csv'))).toEqual(Array(8).fill('535.161.08'));
    expect(
      isKeelsonError(
        errorOf(() => parseSmiDriverVersions('[N/A]\n')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        errorOf(() => parseSmiDriverVersions('')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });

  it('parses CUDA version.json and version.txt', () => {
    expect(parseCudaVersionFile(fx('cuda-12.2/version.json'))).toBe('12.2.2');
    expect(parseCudaVersionFile(fx('cuda-11.0/version.txt'))).toBe('11.0.228');
    expect(
      isKeelsonError(
        errorOf(() => parseCudaVersionFile('{"cuda":{}}')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        errorOf(() => parseCudaVersionFile('{oops')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });

  it('parses ofed_info -s of MLNX_OFED and DOCA-OFED', () => {
    expect(parseOfedInfo(fx('ofed/ofed_info-s_mlnx-ofed-23.10.txt')).version).toBe('23.10-1.1.9.0');
    expect(parseOfedInfo(fx('ofed/ofed_info-s_doca-ofed-24.07.txt')).version).toBe('24.07-0.6.1');
    expect(
      isKeelsonError(
        errorOf(() => parseOfedInfo('bash: ofed_info: command not found')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });

  it('reads NCCL from nccl.h defines and library file names', () => {
    expect(parseNcclHeader(fx('nccl-include/nccl.h'))).toBe('2.19.3');
    expect(parseNcclHeader('#define NCCL_MAJOR 2\n')).toBeUndefined();
    expect(ncclVersionFromFileName('libnccl.so.2.21.5')).toBe('2.21.5');
    expect(ncclVersionFromFileName('libnccl.so.2')).toBeUndefined();
    expect(ncclVersionFromFileName('libnccl_static.a')).toBeUndefined();
  });

  it('reads systemctl is-active states', () => {
    expect(parseSystemctlIsActive('active\n')).toBe('active');
    expect(parseSystemctlIsActive('inactive\n')).toBe('inactive');
    expect(
      isKeelsonError(
        errorOf(() => parseSystemctlIsActive('')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        errorOf(() => parseSystemctlIsActive('Failed to connect to bus')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});
