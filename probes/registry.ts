/**
 * The one explicit list of built-in probes. Adding a probe means adding it here; nothing
 * registers itself by being imported. The kernel-log probe is not listed: it is event-driven,
 * so the agent creates its watcher and binds a probe to it (`createKernelLogProbe`).
 */
import { driverProbe } from './driver/probe.ts';
import { gpuProbe } from './gpu/probe.ts';
import { hostProbe } from './host/probe.ts';
import { hostHwProbe } from './host-hw/probe.ts';
import { nvmeProbe } from './nvme/probe.ts';
import { rdmaProbe } from './rdma/probe.ts';
import type { Probe } from './types.ts';

/** Every built-in periodic probe, in the order they are started. */
export const BUILTIN_PROBES: readonly Probe[] = [hostProbe, hostHwProbe, gpuProbe, rdmaProbe, nvmeProbe, driverProbe];
