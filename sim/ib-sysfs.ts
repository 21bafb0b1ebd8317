/**
 * Writes synthetic /sys/class/infiniband trees in the kernel's exact file formats, for the rdma
 * tests and the fleet simulator: an H100 node with 8 ConnectX-7 NDR ports (plus an optional Ethernet management port),
 * with knobs for a port down, a slower rate, counters and RoCE netdevs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One port as the kernel would show it. */
export interface GenPort {
  port?: number;
  state?: string;
  physState?: string;
  rate?: string;
  linkLayer?: string;
  counters?: Record<string, string | number>;
  hwCounters?: Record<string, string | number>;
  /** Written to ports/<n>/gid_attrs/ndevs/0. */
  ndev?: string;
}

/** One HCA. */
export interface GenDevice {
  name: string;
  hcaType?: string;
  fwVer?: string;
  boardId?: string;
  nodeGuid?: string;
  /** Directory names under device/net. */
  netdevs?: string[];
  ports: GenPort[];
}

/** Healthy PMA counters of a busy NDR port (data counters 64-bit). */
export function healthyCounters(seed = 0): Record<string, number> {
  return {
    VL15_dropped: 0,
    excessive_buffer_overrun_errors: 0,
    link_downed: 0,
    link_error_recovery: 0,
    local_link_integrity_errors: 0,
    multicast_rcv_packets: 0,
    multicast_xmit_packets: 0,
    port_rcv_constraint_errors: 0,
    port_rcv_data: 181230044129870 + seed * 7919,
    port_rcv_errors: 0,
    port_rcv_packets: 290114788211 + seed * 31,
    port_rcv_remote_physical_errors: 0,
    port_rcv_switch_relay_errors: 0,
    port_xmit_constraint_errors: 0,
    port_xmit_data: 179004311852261 + seed * 7901,
    port_xmit_discards: 0,
    port_xmit_packets: 288190345121 + seed * 29,
    port_xmit_wait: 1774029311,
    symbol_error: 0,
    unicast_rcv_packets: 290114788211 + seed * 31,
    unicast_xmit_packets: 288190345121 + seed * 29,
  };
}

/** Healthy mlx5 hw_counters. */
export function healthyHwCounters(): Record<string, number> {
  return {
    duplicate_request: 0,
    implied_nak_seq_err: 0,
    lifespan: 12,
    local_ack_timeout_err: 0,
    out_of_buffer: 0,
    out_of_sequence: 0,
    packet_seq_err: 0,
    req_cqe_error: 0,
    resp_cqe_error: 0,
    rnr_nak_retry_err: 0,
    roce_adp_retrans: 0,
    roce_slow_restart: 0,
    rx_read_requests: 7712345,
    rx_write_requests: 2911022314,
  };
}

/** An H100 node: 8 × ConnectX-7 (MT4129) InfiniBand NDR 400, optionally a ConnectX-6 Dx Ethernet management port. */
export function h100Node(opts: { mgmt?: 'up' | 'down' } = {}): GenDevice[] {
  const devs: GenDevice[] = [];
  for (let i = 0; i < 8; i++) {
    devs.push({
      name: `mlx5_${i}`,
      hcaType: 'MT4129',
      fwVer: '28.39.2048',
      boardId: 'MT_0000000838',
      nodeGuid: `b83f:d203:00a1:${(0x10 + i).toString(16).padStart(4, '0')}`,
      netdevs: [`ibp${24 + i * 16}s0`],
      ports: [
        {
          port: 1,
          state: '4: ACTIVE',
          physState: '5: LinkUp',
          rate: '400 Gb/sec (4X NDR)',
          linkLayer: 'InfiniBand',
          counters: healthyCounters(i),
          hwCounters: healthyHwCounters(),
        },
      ],
    });
  }
  if (opts.mgmt) {
    const up = opts.mgmt === 'up';
    devs.push({
      name: 'mlx5_8',
      hcaType: 'MT4125',
      fwVer: '22.39.1002',
      boardId: 'DEL0000000027',
      nodeGuid: '946d:ae03:00c2:b690',
      netdevs: ['eno8np0'],
      ports: [
        {
          port: 1,
          state: up ? '4: ACTIVE' : '1: DOWN',
          physState: up ? '5: LinkUp' : '3: Disabled',
          rate: up ? '100 Gb/sec (4X EDR)' : '40 Gb/sec (4X QDR)',
          linkLayer: 'Ethernet',
          ndev: 'eno8np0',
          counters: healthyCounters(9),
          hwCounters: healthyHwCounters(),
        },
      ],
    });
  }
  return devs;
}

/** A copy of `devs` with `fn` applied to port 1 of the named device. */
export function withPort(devs: GenDevice[], device: string, fn: (p: GenPort) => void): GenDevice[] {
  const copy: GenDevice[] = structuredClone(devs);
  const d = copy.find((x) => x.name === device);
  const p = d?.ports[0];
  if (!p) throw new Error(`no device ${device}`);
  fn(p);
  return copy;
}

/** Write `devs` below `<sysRoot>/class/infiniband`, replacing what was there. */
export async function writeSysfs(sysRoot: string, devs: GenDevice[]): Promise<string> {
  const base = join(sysRoot, 'class', 'infiniband');
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  for (const d of devs) {
    const dd = join(base, d.name);
    await mkdir(join(dd, 'ports'), { recursive: true });
    const put = async (rel: string, v: string | number | undefined) => {
      if (v === undefined) return;
      const path = join(dd, rel);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, `${v}\n`);
    };
    await put('hca_type', d.hcaType);
    await put('fw_ver', d.fwVer);
    await put('board_id', d.boardId);
    await put('node_guid', d.nodeGuid);
    for (const n of d.netdevs ?? []) await mkdir(join(dd, 'device', 'net', n), { recursive: true });
    for (const p of d.ports) {
      const pr = `ports/${p.port ?? 1}`;
      await mkdir(join(dd, pr), { recursive: true });
      await put(`${pr}/state`, p.state);
      await put(`${pr}/phys_state`, p.physState);
      await put(`${pr}/rate`, p.rate);
      await put(`${pr}/link_layer`, p.linkLayer);
      await put(`${pr}/gid_attrs/ndevs/0`, p.ndev);
      for (const [k, v] of Object.entries(p.counters ?? {})) await put(`${pr}/counters/${k}`, v);
      for (const [k, v] of Object.entries(p.hwCounters ?? {})) await put(`${pr}/hw_counters/${k}`, v);
    }
  }
  return base;
}
