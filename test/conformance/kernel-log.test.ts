/**
 * Conformance of the kernel-log analyzers with real captures in ../shared/corpus/kernel-log:
 * every file has written-down expected codes; faulty samples give them, healthy ones give
 * nothing degraded or fatal, and a file without an entry here fails (so new files are noticed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelLogAnalyzers } from '../../probes/kernel-log/analyzers.ts';

const DIR = path.resolve(import.meta.dirname, '../../../shared/corpus/kernel-log');
const NOW = Date.UTC(2025, 5, 1);

interface Expectation {
  /** The analyzer kind that must recognise the file. */
  kind: string;
  /** Exactly the set of codes the file produces. */
  codes: string[];
  /** Codes (with severity) that must be present. */
  severities?: Record<string, string>;
  /** A healthy sample: nothing degraded or fatal. */
  healthy?: boolean;
}

const EXPECTED: Record<string, Expectation> = {
  'azhpc_syslog_ib6-link-flap.log': {
    kind: 'syslog',
    codes: ['ib.link.down', 'ib.link.flap'],
    severities: { 'ib.link.flap': 'degraded' },
  },
  'gpud_dev-kmsg-raw-format_nvswitch-open.log': { kind: 'kmsg', codes: [], healthy: true },
  'gpud_dmesg-ctime_xid13-109_md-quoted.log': {
    kind: 'dmesg-T',
    codes: ['gpu.xid.13', 'gpu.xid.109'],
    severities: { 'gpu.xid.13': 'warn', 'gpu.xid.109': 'degraded' },
  },
  'gpud_dmesg-ctime_xid31-mmu-fault_xid109_md-quoted.log': {
    kind: 'dmesg-T',
    codes: ['gpu.xid.31', 'gpu.xid.109'],
    severities: { 'gpu.xid.31': 'warn' },
  },
  'gpud_dmesg_healthy_hgx-nvswitch_boot-tail.log': { kind: 'dmesg', codes: ['ib.link.down'], healthy: true },
  'gpud_dmesg_xid119_gsp-timeout_xe9680.log': {
    kind: 'dmesg-T',
    codes: ['gpu.xid.119'],
    severities: { 'gpu.xid.119': 'degraded' },
  },
  'gpud_dmesg_xid13-43_excerpt.log': {
    kind: 'dmesg',
    codes: ['gpu.xid.13', 'gpu.xid.43'],
    severities: { 'gpu.xid.13': 'warn', 'gpu.xid.43': 'info' },
  },
  'gpud_dmesg_xid48-63-94_peermem.log': {
    kind: 'dmesg',
    codes: ['gpu.xid.48', 'gpu.xid.63', 'gpu.xid.94'],
    severities: { 'gpu.xid.48': 'degraded' },
  },
  'gpud_dmesg_xid79_nvswitch-sxid20034_md-quoted.log': {
    kind: 'dmesg',
    codes: ['gpu.xid.79', 'nvswitch.sxid.20034'],
    severities: { 'gpu.xid.79': 'fatal', 'nvswitch.sxid.20034': 'fatal' },
  },
  'gpud_journalctl-k_short-iso_noise.log': { kind: 'journalctl-iso', codes: [], healthy: true },
  'npd_hung-task_aufs-umount.log': { kind: 'dmesg', codes: ['kernel.hung_task'] },
  'npd_hung-task_docker_blocked-120s.log': { kind: 'dmesg', codes: ['kernel.hung_task'] },
};

describe.skipIf(!existsSync(DIR))('kernel-log corpus conformance', () => {
  const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => !f.startsWith('.')) : [];

  it('has an expectation for every corpus file', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const exp = EXPECTED[file];
    if (!exp) throw new Error(`no expectation written down for ${file}`);
    const text = readFileSync(path.join(DIR, file), 'utf8');
    const sniffers = kernelLogAnalyzers.filter((a) => a.sniff(text.slice(0, 65_536))).map((a) => a.kind);
    expect(sniffers[0]).toBe(exp.kind);
    const analyzer = kernelLogAnalyzers.find((a) => a.kind === exp.kind);
    const obs = analyzer?.analyze(text, NOW) ?? [];
    expect([...new Set(obs.map((o) => o.code))].sort()).toEqual([...exp.codes].sort());
    for (const [code, severity] of Object.entries(exp.severities ?? {})) {
      expect(obs.filter((o) => o.code === code).map((o) => o.severity)).toContain(severity);
    }
    if (exp.healthy) {
      expect(obs.filter((o) => o.severity === 'degraded' || o.severity === 'fatal')).toEqual([]);
    } else {
      expect(obs.length).toBeGreaterThan(0);
    }
  });

  it('the Xid 79 file names the GPU by bus id and the NVSwitches by number', () => {
    const file = 'gpud_dmesg_xid79_nvswitch-sxid20034_md-quoted.log';
    if (!files.includes(file)) return;
    const obs = kernelLogAnalyzers
      .find((a) => a.kind === 'dmesg')
      ?.analyze(readFileSync(path.join(DIR, file), 'utf8'), NOW);
    expect(obs?.find((o) => o.code === 'gpu.xid.79')?.component).toBe('gpu:0000:91:00.0');
    expect(new Set(obs?.filter((o) => o.code === 'nvswitch.sxid.20034').map((o) => o.component))).toEqual(
      new Set(['nvswitch:0', 'nvswitch:1', 'nvswitch:2']),
    );
    // the separate "GPU has fallen off the bus" line is part of the Xid 79 burst, not a second finding
    expect(obs?.some((o) => o.code === 'gpu.fallen_off_bus')).toBe(false);
  });
});
