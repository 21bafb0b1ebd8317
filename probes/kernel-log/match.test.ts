/** Matchers: each family of kernel message → its code, component, severity and action. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KernelMatch, matchLine, normalizePciBusId } from './match.ts';
import type { KernelLine } from './parse.ts';

const k = (text: string, extra: Partial<KernelLine> = {}): KernelLine => ({ text, format: 'plain', ...extra });
const m = (text: string, opts = {}): KernelMatch | undefined => matchLine(k(text), opts);
const code = (text: string) => m(text)?.observation?.code;

describe('normalizePciBusId', () => {
  it.each([
    ['PCI:0000:91:00', '0000:91:00.0'],
    ['00000000:3B:00.0', '0000:3b:00.0'],
    ['0000:cb:00.1', '0000:cb:00.1'],
  ])('%s → %s', (a, b) => expect(normalizePciBusId(a)).toBe(b));
});

describe('NVRM Xid', () => {
  it('Xid 79 → gpu.xid.79, fatal/reboot, sticky, on the GPU by bus id', () => {
    const o = m(
      "NVRM: Xid (PCI:0000:91:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.",
    )?.observation;
    expect(o).toMatchObject({
      code: 'gpu.xid.79',
      component: 'gpu:0000:91:00.0',
      severity: 'fatal',
      action: 'reboot',
      kind: 'event',
      sticky: true,
    });
    expect(o?.message).toContain('GPU has fallen off the bus');
  });
  it.each([
    [13, 'warn', 'restart-job'],
    [31, 'warn', 'restart-job'],
    [43, 'info', 'none'],
    [48, 'degraded', 'reset-gpu'],
    [63, 'info', 'none'],
    [64, 'degraded', 'reset-gpu'],
    [74, 'degraded', 'reset-gpu'],
    [94, 'warn', 'restart-job'],
    [95, 'degraded', 'reset-gpu'],
    [109, 'degraded', 'reset-gpu'],
    [119, 'degraded', 'reset-gpu'],
    [140, 'degraded', 'reset-gpu'],
  ])('Xid %i → %s/%s from the catalog', (xid, severity, action) => {
    const o = m(`NVRM: Xid (PCI:0000:19:00): ${xid}, pid=1, name=x, something`)?.observation;
    expect(o).toMatchObject({ code: `gpu.xid.${xid}`, severity, action });
  });
  it('an unknown Xid falls back to warn/inspect-hardware', () => {
    expect(m('NVRM: Xid (PCI:0000:19:00): 999, pid=1, x')?.observation).toMatchObject({
      code: 'gpu.xid.999',
      severity: 'warn',
      action: 'inspect-hardware',
    });
  });
  it('applies per-code overrides', () => {
    const o = m('NVRM: Xid (PCI:0000:19:00): 13, pid=1, x', {
      xidOverrides: { '13': { severity: 'degraded', action: 'reset-gpu' } },
    })?.observation;
    expect(o).toMatchObject({ severity: 'degraded', action: 'reset-gpu' });
    const partial = m('NVRM: Xid (PCI:0000:19:00): 13, pid=1, x', {
      xidOverrides: { '13': { severity: 'info' } },
    })?.observation;
    expect(partial).toMatchObject({ severity: 'info', action: 'restart-job' });
  });
  it('Xid 154 takes the recovery action the driver names', () => {
    const line = (to: string) =>
      `NVRM: Xid (PCI:0000:cc:00): 154, GPU recovery action changed from 0x0 (None) to ${to}`;
    expect(m(line('0x2 (Node Reboot Required)'))?.observation).toMatchObject({ severity: 'fatal', action: 'reboot' });
    expect(m(line('0x1 (GPU Reset Required)'))?.observation).toMatchObject({
      severity: 'degraded',
      action: 'reset-gpu',
    });
    expect(m(line('0x3 (Drain P2P)'))?.observation).toMatchObject({ action: 'drain' });
    expect(m(line('0x0 (None)'))?.observation).toMatchObject({ severity: 'info', action: 'none' });
  });
  it('reads MIG-style bus ids with a GPU-I suffix', () => {
    expect(m('NVRM: Xid (PCI:0000:3b:00 GPU-I:05): 43, pid=9, Ch 0')?.observation?.component).toBe('gpu:0000:3b:00.0');
  });
});

describe('NVSwitch SXid', () => {
  it('Fatal → fatal/drain on nvswitch:<n>', () => {
    expect(
      m('nvidia-nvswitch3: SXid (PCI:0000:08:00.0): 20034, Fatal, Link 44 LTSSM Fault Up')?.observation,
    ).toMatchObject({
      code: 'nvswitch.sxid.20034',
      component: 'nvswitch:3',
      severity: 'fatal',
      action: 'drain',
    });
  });
  it('Non-fatal → warn', () => {
    expect(m('nvidia-nvswitch1: SXid (PCI:0000:06:00.0): 12028, Non-fatal, Link 20 x')?.observation?.severity).toBe(
      'warn',
    );
  });
  it('Severity / Data detail lines make no new observation', () => {
    expect(
      m('nvidia-nvswitch2: SXid (PCI:0000:07:00.0): 20034, Severity 1 Engine instance 60 Sub-engine instance 00'),
    ).toEqual({});
    expect(m('nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 20034, Data {0x1, 0x0}')).toEqual({});
  });
});

describe('other kernel messages', () => {
  it.each([
    ['NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.', 'gpu.fallen_off_bus', 'gpu:0000:3b:00.0'],
    [
      'NVRM: The NVIDIA GPU 0000:3b:00.0 (PCI ID: 10de:2330) installed in this system has fallen off the bus and is not responding to commands.',
      'gpu.fallen_off_bus',
      'gpu:0000:3b:00.0',
    ],
    ['nvme nvme0: I/O 123 QID 4 timeout, aborting', 'nvme.io_timeout', 'nvme0'],
    ['nvme nvme0: I/O tag 17 (1011) opcode 0x2 (Read) QID 3 timeout, reset controller', 'nvme.io_timeout', 'nvme0'],
    ['nvme nvme2: resetting controller', 'nvme.reset', 'nvme2'],
    ['nvme nvme0: Removing after probe failure status: -19', 'nvme.removed', 'nvme0'],
    ['nvme 0000:e1:00.0: Removing after probe failure status: -19', 'nvme.removed', 'nvme:0000:e1:00.0'],
    ['EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0', 'kernel.edac.ce', 'host'],
    ['EDAC MC1: 3 UE memory read error on CPU_SrcID#1_MC#1', 'kernel.edac.ue', 'host'],
    ['EDAC skx MC2: HANDLING MCE MEMORY ERROR ... UE err', 'kernel.edac.ue', 'host'],
    ['mce: [Hardware Error]: Machine check events logged', 'kernel.edac.ce', 'host'],
    ['{1}[Hardware Error]: event severity: fatal', 'kernel.edac.ue', 'host'],
    ['{2}[Hardware Error]: event severity: corrected', 'kernel.edac.ce', 'host'],
    ['INFO: task python3:4411 blocked for more than 120 seconds.', 'kernel.hung_task', 'host'],
    ['Out of memory: Killed process 90210 (python3) total-vm:1kB', 'kernel.oom_kill', 'host'],
    ['Memory cgroup out of memory: Killed process 7 (torchrun) total-vm:1kB', 'kernel.oom_kill', 'host'],
    [
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,task=python3,pid=90210,uid=1001',
      'kernel.oom_kill',
      'host',
    ],
    ['EXT4-fs error (device sda1): ext4_lookup:1602: inode #2', 'kernel.fs.error', 'host'],
    ['EXT4-fs (sda1): Remounting filesystem read-only', 'kernel.fs.readonly', 'host'],
    ['XFS (dm-3): Corruption detected. Unmount and run xfs_repair', 'kernel.fs.error', 'host'],
    ['XFS (dm-3): Filesystem has been shut down due to log error (0x2).', 'kernel.fs.readonly', 'host'],
    ['LustreError: 2201:0:(client.c:1262:ptlrpc_import_delay_req()) @@@ IMP_CLOSED', 'kernel.fs.error', 'host'],
    ['mlx5_core 0000:1a:00.0 ibp26s0: Link down', 'ib.link.down', 'ib:ibp26s0'],
    ['ib6: lost carrier', 'ib.link.down', 'ib:ib6'],
  ])('%s → %s', (text, c, component) => {
    const o = m(text)?.observation;
    expect(o?.code).toBe(c);
    expect(o?.component).toBe(component);
    expect(o?.evidence).toBe(text);
  });

  it('LustreError is only warn, EXT4 errors degraded, UE fatal', () => {
    expect(m('LustreError: 11-0: x')?.observation?.severity).toBe('warn');
    expect(m('EXT4-fs error (device sda1): x')?.observation?.severity).toBe('degraded');
    expect(m('EDAC MC1: 1 UE x')?.observation).toMatchObject({ severity: 'fatal', action: 'drain' });
  });

  it('link up / gained carrier is a transition without an observation', () => {
    expect(m('mlx5_core 0000:1a:00.0 ibp26s0: Link up')).toEqual({ link: { iface: 'ibp26s0', up: true } });
    expect(m('ib6: Gained carrier')).toEqual({ link: { iface: 'ib6', up: true } });
    expect(m('ib6: lost carrier')?.link).toEqual({ iface: 'ib6', up: false });
  });

  it('oom lines about one pid share a dedupe key', () => {
    expect(m('Out of memory: Killed process 90210 (python3) x')?.dedupeKey).toBe('oom:90210');
    expect(m('oom-kill:constraint=CONSTRAINT_NONE,task=python3,pid=90210,uid=0')?.dedupeKey).toBe('oom:90210');
  });

  it.each([
    'EDAC MC0: Giving out device to module i10nm_edac controller Intel_10nm Socket#0 IMC#0: DEV 0000:7e:0c.0 (INTERRUPT)',
    'EXT4-fs (nvme0n1p2): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.',
    'mce: CPU0: Thermal monitoring enabled (TM1)',
    'nvidia-nvswitch0: open (major=510)',
    'IPv6: ADDRCONF(NETDEV_CHANGE): ib0: link becomes ready',
    'eth0: lost carrier',
    'NVRM: GPU at PCI:0000:91:00: GPU-b6c3b2be-c55b-d076-fa0e-d464e4c7e08b',
    'nvidia-peermem nv_get_p2p_free_callback:127 ERROR detected invalid context, skipping further processing',
  ])('ignores healthy noise: %s', (text) => {
    expect(code(text)).toBeUndefined();
  });

  it('ignores user-space syslog lines that look like kernel ones', () => {
    expect(matchLine(k('Out of memory: Killed process 1 (init)', { ident: 'myapp' }))).toBeUndefined();
    expect(matchLine(k('Out of memory: Killed process 1 (init)', { ident: 'kernel' }))?.observation?.code).toBe(
      'kernel.oom_kill',
    );
  });

  it('never throws on arbitrary text (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('', 'NVRM: Xid (PCI:', 'SXid (', 'nvme nvme0: '),
        (s, p) => {
          const r = matchLine(k(p + s));
          if (r?.observation) expect(r.observation.evidence.length).toBeLessThanOrEqual(1024);
        },
      ),
      { numRuns: 300 },
    );
  });
});
