/**
 * Conformance of the rdma analyzers (and rules) with real captures in
 * ../shared/corpus/infiniband: every file or directory there has a written-down expectation
 * (which analyzer claims it, exactly which `code component severity` it produces, and why); a
 * new corpus entry without one fails the suite so it gets looked at.
 *
 * Offline analysis knows no GPU SKU, so the analyzers infer the compute fabric from the fastest
 * up ports (same HCA type and link layer) and judge counters by absolute value (warn at most).
 * A second table re-judges the ibstat captures with the SKU expectation the live probe would
 * have (gpuSku), to show the same verdicts hold with an expectation.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { severityRank } from '../../core/finding.ts';
import { rdmaAnalyzers } from '../../probes/rdma/analyzers.ts';
import { emptyPort, parseIbstat, parseSysfsRate } from '../../probes/rdma/parse.ts';
import { judgeRdma } from '../../probes/rdma/rules.ts';
import { DEFAULT_RDMA_SETTINGS } from '../../probes/rdma/settings.ts';
import { infinibandTree, recordsFromTree } from '../../probes/rdma/sysfs.ts';
import { parseTtar } from '../../probes/rdma/ttar.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/infiniband');
const NOW = Date.parse('2024-06-01T00:00:00Z');

interface Expectation {
  kind: string;
  /** Exactly these `code component severity` lines, in order; empty for a clean sample. */
  findings: string[];
  /** No degraded or fatal finding allowed. */
  healthy: boolean;
  /** Why, for the next reader. */
  why: string;
}

const EXPECTED: Record<string, Expectation> = {
  'azdiag_ibstatus_azure-an-eth_plus_ib-hdr.txt': {
    kind: 'ibstatus',
    findings: [],
    healthy: true,
    why: 'Ethernet VF at 40 and IB HDR at 200 are both ACTIVE; different link layers are never compared.',
  },
  'azdiag_sysfs_port_phys_state_unknown.txt': {
    kind: 'ib-sysfs-value',
    findings: ['ib.port.down ib:unknown warn'],
    healthy: true,
    why: '`0: <unknown>` is not LinkUp and not what an unused port shows (Polling/Disabled): warn. A lone value names no port and has no peers, so it cannot be called degraded.',
  },
  'azdiag_sysfs_port_rate_1x-ddr.txt': {
    kind: 'ib-sysfs-value',
    findings: ['ib.port.rate ib:unknown warn'],
    healthy: true,
    why: '5 Gb/s (1X DDR) is below 100 Gb/s, slower than any GPU fabric port, and one lane wide: downtrained. Offline there is no expectation or peer, so warn; against an expectation it is degraded (see the expectation table).',
  },
  'gpud_ibstat_a100_all-active.txt': {
    kind: 'ibstat',
    findings: [],
    healthy: true,
    why: '8 IB + 1 Ethernet MT4126 ports, all Active/LinkUp at 200.',
  },
  'gpud_ibstat_a100_ibpanic-exit255.txt': {
    kind: 'ibstat',
    findings: ['ib.ibstat.panic ib:mlx5_8 warn'],
    healthy: true,
    why: 'The 8 ports ibstat reached are Active at 200; it then died on `stat of IB device mlx5_8`: a failure observation (warn), since the ports it did report are fine.',
  },
  'gpud_ibstat_h100_all-active_ib-ndr.txt': {
    kind: 'ibstat',
    findings: [],
    healthy: true,
    why: '8 ConnectX-7 NDR 400 up; the BlueField-3 Ethernet at 200 has no same-type sibling to be compared with.',
  },
  'gpud_ibstat_h100_all-active_roce.txt': {
    kind: 'ibstat',
    findings: [],
    healthy: true,
    why: 'RoCE: 8 ConnectX-7 at 400 and 4 ConnectX-6 Dx at 100 are different HCA types; all Active.',
  },
  'gpud_ibstat_h100_eth-ports-down.txt': {
    kind: 'ibstat',
    findings: ['ib.port.down ib:mlx5_2/1 info', 'ib.port.down ib:mlx5_7/1 info', 'ib.port.down ib:mlx5_8/1 info'],
    healthy: true,
    why: 'The 8 IB NDR fabric ports are up. The down ports are ConnectX-6 Dx Ethernet ports outside the fabric (their group tops out at 100), Disabled, never seen up: management/unused ports, info.',
  },
  'gpud_ibstat_h100_two-400g-ports-down.txt': {
    kind: 'ibstat',
    findings: ['ib.port.down ib:mlx5_11/1 degraded', 'ib.port.down ib:mlx5_5/1 degraded'],
    healthy: false,
    why: 'Two ConnectX-7 RoCE ports are Down/Disabled while their six same-type siblings run at 400: fabric ports, degraded. (SOURCES.md says mlx5_3 and mlx5_6, but in the file it is mlx5_11 and mlx5_5 that read State: Down; mlx5_3 and mlx5_6 are Active.)',
  },
  'gpud_ibstatus_a100_all-active.txt': {
    kind: 'ibstatus',
    findings: [],
    healthy: true,
    why: '8 ports 4: ACTIVE / 5: LinkUp / 200 Gb/sec (4X HDR).',
  },
  'gpud_sys-class-infiniband-h100': {
    kind: 'sysfs-infiniband',
    findings: [
      'ib.counter.port_rcv_errors ib:mlx5_0/1 info',
      'ib.counter.excessive_buffer_overrun_errors.saturated ib:mlx5_0/1 warn',
      'ib.counter.link_downed.saturated ib:mlx5_1/1 warn',
      'ib.counter.port_rcv_errors ib:mlx5_1/1 info',
      'ib.counter.excessive_buffer_overrun_errors.saturated ib:mlx5_1/1 warn',
      'ib.counter.port_rcv_errors ib:mlx5_bond_0/1 info',
      'ib.counter.excessive_buffer_overrun_errors.saturated ib:mlx5_bond_0/1 warn',
    ],
    healthy: true,
    why: 'All ports ACTIVE. mlx5_1 link_downed=255 is the 8-bit maximum: saturated, flagged warn, not judged as a rate, not fatal. excessive_buffer_overrun_errors=15 is the 4-bit maximum of that PMA counter: saturated too. port_rcv_errors=14 in one snapshot is below the absolute warn (1000): info.',
  },
  'ibexp_ibnetdiscover-p.txt': {
    kind: 'ibnetdiscover',
    findings: [],
    healthy: true,
    why: 'A fabric-wide port list (switch ports with `???` are simply unlinked): parsed, nothing about this node.',
  },
  'ibexp_perfquery-E_rcv-error-details.txt': {
    kind: 'perfquery',
    findings: [],
    healthy: true,
    why: 'PortRcvErrorDetails all zero.',
  },
  'ibexp_perfquery-x_hca_clean.txt': {
    kind: 'perfquery',
    findings: [],
    healthy: true,
    why: 'All error counters zero.',
  },
  'ibexp_perfquery-x_switch-2ports_clean.txt': {
    kind: 'perfquery',
    findings: [],
    healthy: true,
    why: 'Error counters zero; PortXmitWait is congestion, not an error counter.',
  },
  'ibexp_perfquery-x_switch-port_xmit-discards.txt': {
    kind: 'perfquery',
    findings: ['ib.counter.link_downed ib:lid2052/1 info', 'ib.counter.port_xmit_discards ib:lid2052/1 warn'],
    healthy: true,
    why: 'PortXmitDiscards 20046 is above the single-snapshot warn (10000); LinkDowned 1 is info. One snapshot cannot show a rate, so warn at most (PortRcvSwitchRelayErrors is routing, not judged).',
  },
  'node-exporter_sys-class-infiniband_fixture.ttar': {
    kind: 'sysfs-infiniband-ttar',
    findings: ['ib.counter.port_xmit_discards ib:mlx4_0/1 info'],
    healthy: true,
    why: 'i40iw0 counters read `N/A (no PMA)` (undefined, not zero); mlx4_0 ports ACTIVE at QDR 40; port_xmit_discards=5 is info. port_xmit_wait=4294967295 is a congestion counter, not judged.',
  },
  'scorpio_ibv_devinfo-v_chrysalis_cx6-ib_plus_cx5-roce.txt': {
    kind: 'ibv_devinfo',
    findings: [],
    healthy: true,
    why: 'ConnectX-6 IB 4X×50 = 200 and two ConnectX-5 RoCE 4X×25 = 100, all PORT_ACTIVE/LINK_UP; different HCA types.',
  },
};

/** ibstat captures re-judged with the GPU SKU expectation the live probe would be configured with. */
const WITH_SKU: Record<string, { gpuSku: string; findings: string[] }> = {
  'gpud_ibstat_a100_all-active.txt': { gpuSku: 'A100', findings: [] },
  'gpud_ibstat_a100_ibpanic-exit255.txt': { gpuSku: 'A100', findings: [] },
  'gpud_ibstat_h100_all-active_ib-ndr.txt': { gpuSku: 'H100', findings: [] },
  'gpud_ibstat_h100_all-active_roce.txt': { gpuSku: 'H100', findings: [] },
  'gpud_ibstat_h100_eth-ports-down.txt': {
    gpuSku: 'H100',
    findings: ['ib.port.down ib:mlx5_2/1 info', 'ib.port.down ib:mlx5_7/1 info', 'ib.port.down ib:mlx5_8/1 info'],
  },
  'gpud_ibstat_h100_two-400g-ports-down.txt': {
    gpuSku: 'H100',
    findings: ['ib.port.down ib:mlx5_11/1 degraded', 'ib.port.down ib:mlx5_5/1 degraded'],
  },
};

const entries = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f !== 'SOURCES.md') : [];
const line = (o: { code: string; component: string; severity: string }) => `${o.code} ${o.component} ${o.severity}`;

describe.skipIf(!existsSync(CORPUS))('rdma corpus conformance', () => {
  it('has an expectation for every corpus entry (and an entry for every expectation)', () => {
    expect(entries.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !entries.includes(f))).toEqual([]);
  });

  it.each(entries)('%s', async (file) => {
    const exp = EXPECTED[file];
    expect(exp, `no expectation written down for corpus entry ${file}`).toBeDefined();
    if (!exp) return;
    const full = path.join(CORPUS, file);
    let kinds: string[];
    let obs: { code: string; component: string; severity: string }[];
    if (statSync(full).isDirectory()) {
      const claimed = [];
      for (const a of rdmaAnalyzers) if (a.input === 'dir' && (await a.sniffDir(full))) claimed.push(a);
      kinds = claimed.map((a) => a.kind);
      const a = claimed[0];
      obs = a && a.input === 'dir' ? await a.analyzeDir(full, NOW) : [];
    } else {
      const text = readFileSync(full, 'utf8');
      const claimed = rdmaAnalyzers.filter((a) => a.input === 'text' && a.sniff(text.slice(0, 65536)));
      kinds = claimed.map((a) => a.kind);
      const a = claimed[0];
      obs = a && a.input === 'text' ? a.analyze(text, NOW) : [];
    }
    expect(kinds).toEqual([exp.kind]);
    expect(obs.map(line)).toEqual(exp.findings);
    if (exp.healthy)
      expect(obs.filter((o) => severityRank(o.severity as 'info') >= severityRank('degraded'))).toEqual([]);
  });

  it.each(Object.keys(WITH_SKU))('%s with the GPU SKU expectation', (file) => {
    const w = WITH_SKU[file];
    if (!w) return;
    const { ports } = parseIbstat(readFileSync(path.join(CORPUS, file), 'utf8'));
    const j = judgeRdma(ports, undefined, NOW, { ...DEFAULT_RDMA_SETTINGS, gpuSku: w.gpuSku, singleSnapshot: true });
    expect(j.observations.map(line)).toEqual(w.findings);
  });

  it('the 1X DDR rate is degraded against an expectation (one port expected at 200)', () => {
    const text = readFileSync(path.join(CORPUS, 'azdiag_sysfs_port_rate_1x-ddr.txt'), 'utf8');
    const p = { ...emptyPort('mlx5_ib0', 1), state: 'ACTIVE', physState: 'LinkUp', linkLayer: 'InfiniBand' };
    p.rateGbps = parseSysfsRate(text)?.gbps;
    p.raw.rate = text.trim();
    const settings = { ...DEFAULT_RDMA_SETTINGS, expectedPorts: 1, expectedRateGbps: 200, singleSnapshot: true };
    const obs = judgeRdma([p], undefined, NOW, settings).observations;
    expect(obs.map(line)).toEqual(['ib.port.rate ib:mlx5_ib0/1 degraded']);
  });

  it('ttar counters that read N/A (no PMA) are undefined, not zero', () => {
    const text = readFileSync(path.join(CORPUS, 'node-exporter_sys-class-infiniband_fixture.ttar'), 'utf8');
    const recs = recordsFromTree(infinibandTree(parseTtar(text)));
    const i40 = recs.find((p) => p.device === 'i40iw0');
    expect(i40?.counters).toHaveProperty('link_downed', undefined);
    expect(i40?.counters).toHaveProperty('symbol_error', undefined);
    expect(recs.find((p) => p.device === 'mlx4_0' && p.port === 1)?.counters.port_xmit_discards).toBe(5);
    expect(recs.map((p) => `${p.device}/${p.port} ${p.state} ${p.rateGbps}`)).toEqual([
      'i40iw0/1 ACTIVE 10',
      'mlx4_0/1 ACTIVE 40',
      'mlx4_0/2 ACTIVE 40',
    ]);
  });
});
