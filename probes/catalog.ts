/** Every probe area's finding catalog, in one explicit list (the docs are generated from it). */
import type { CatalogEntry } from '../core/catalog.ts';
import { driverCatalog } from './driver/catalog.ts';
import { execCatalog } from './exec/catalog.ts';
import { gpuCatalog } from './gpu/catalog.ts';
import { hostCatalog } from './host/catalog.ts';
import { hostHwCatalog } from './host-hw/catalog.ts';
import { kernelLogCatalog, xidCatalog } from './kernel-log/catalog.ts';
import { ncclCatalog } from './nccl/catalog.ts';
import { nvmeCatalog } from './nvme/catalog.ts';
import { rdmaCatalog } from './rdma/catalog.ts';

/** The catalogs by area, in the order the docs list them. */
export const PROBE_CATALOGS: readonly { area: string; entries: readonly CatalogEntry[] }[] = [
  { area: 'gpu', entries: gpuCatalog },
  { area: 'gpu (Xid, from NVIDIA’s table)', entries: xidCatalog },
  { area: 'kernel log', entries: kernelLogCatalog },
  { area: 'rdma', entries: rdmaCatalog },
  { area: 'nvme', entries: nvmeCatalog },
  { area: 'network tests (nccl-tests, perftest)', entries: ncclCatalog },
  { area: 'driver', entries: driverCatalog },
  { area: 'host', entries: [...hostCatalog, ...hostHwCatalog] },
  { area: 'site checks', entries: execCatalog },
];
