/**
 * Parser for `nvidia-smi nvlink -s` (link status): per GPU, one `Link N: <speed>` line per link,
 * `<inactive>` for a link that is down, or a single message for the whole GPU — "Unable to
 * retrieve NVLink information as all links are inactive" (all down) or "Device does not have or
 * support Nvlink" (a PCIe card without NVLink: unsupported, not faulty).
 */
import { KeelsonError } from '../../core/errors.ts';

/** One NVLink of one GPU. */
export interface NvlinkLink {
  link: number;
  /** `unknown` for anything that is neither a speed nor `<inactive>`. */
  state: 'active' | 'inactive' | 'unknown';
  /** GB/s when active. */
  speedGBs?: number;
  raw: string;
}

/** The link status of one GPU. */
export interface NvlinkGpu {
  index: number;
  name?: string;
  uuid?: string;
  links: NvlinkLink[];
  /** NVML said every link is inactive. */
  allInactive: boolean;
  /** The GPU has no NVLink at all. */
  unsupported: boolean;
  /** Any other message printed under the GPU (e.g. "Unknown Error"). */
  errors: string[];
  /** The GPU's header line, for evidence. */
  line: string;
}

/** Parsed `nvidia-smi nvlink -s`. */
export interface NvlinkReport {
  gpus: NvlinkGpu[];
}

const GPU_LINE = /^GPU (\d+): (.*?)(?: \(UUID: ([^)]*)\))?\s*$/;
const LINK_LINE = /^Link (\d+): (.*?)\s*$/;
const ALL_INACTIVE = /all links are inactive/i;
const UNSUPPORTED = /does not have or support nvlink|nvlink is not supported|not supported/i;

/** Parse `nvidia-smi nvlink -s`; throws KeelsonError('PARSE_FAILED') when no GPU is listed. */
export function parseNvlinkStatus(text: string): NvlinkReport {
  const gpus: NvlinkGpu[] = [];
  let cur: NvlinkGpu | undefined;
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const g = GPU_LINE.exec(line);
    if (g) {
      cur = { index: Number(g[1]), links: [], allInactive: false, unsupported: false, errors: [], line };
      if (g[2]) cur.name = g[2].trim();
      if (g[3]) cur.uuid = g[3].trim();
      gpus.push(cur);
      continue;
    }
    if (!cur) continue;
    const l = LINK_LINE.exec(line);
    if (l) {
      const value = l[2] ?? '';
      const speed = /^(\d+(?:\.\d+)?)\s*GB\/s$/i.exec(value);
      const state = speed ? 'active' : /inactive/i.test(value) ? 'inactive' : 'unknown';
      const link: NvlinkLink = { link: Number(l[1]), state, raw: line };
      if (speed?.[1] !== undefined) link.speedGBs = Number(speed[1]);
      cur.links.push(link);
    } else if (ALL_INACTIVE.test(line)) cur.allInactive = true;
    else if (UNSUPPORTED.test(line)) cur.unsupported = true;
    else cur.errors.push(line);
  }
  if (gpus.length === 0) throw new KeelsonError('PARSE_FAILED', 'nvidia-smi nvlink -s: no "GPU N: ..." line');
  return { gpus };
}
