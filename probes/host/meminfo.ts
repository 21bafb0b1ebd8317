/**
 * /proc/meminfo and /proc/stat, read the way systeminformation's mem() and os.cpus() read them,
 * so the host probe keeps its numbers without the library. Pure.
 */

/** The memory figures the host probe uses, in bytes (the names systeminformation's mem() used). */
export interface MemReading {
  total: number;
  available: number;
  swaptotal: number;
  swapused: number;
}

/**
 * The first line whose key starts with `key` (case-insensitive), its value in bytes, or 0 when
 * absent or unparsable: systeminformation's `util.getValue` + `parseInt(...) * 1024`.
 */
function kib(lines: readonly string[], key: string): number {
  const want = key.toLowerCase();
  for (const line of lines) {
    const lower = line.toLowerCase().replace(/\t/g, '');
    const colon = line.indexOf(':');
    if (!lower.startsWith(want) || colon < 0) continue;
    const n = Number.parseInt(line.slice(colon + 1).trim(), 10);
    return Number.isFinite(n) && n > 0 ? n * 1024 : 0;
  }
  return 0;
}

/**
 * Memory from /proc/meminfo. Available is MemAvailable, or (kernels before 3.14) MemFree +
 * Buffers + Cached + Slab. A missing MemTotal gives `total: NaN`, which the parser rejects.
 */
export function parseMeminfo(text: string): MemReading {
  const lines = text.split('\n');
  const total = kib(lines, 'memtotal');
  const free = kib(lines, 'memfree');
  const available =
    kib(lines, 'memavailable') || free + kib(lines, 'buffers') + kib(lines, 'cached') + kib(lines, 'slab');
  const swaptotal = kib(lines, 'swaptotal');
  const swapfree = kib(lines, 'swapfree');
  return { total: total || Number.NaN, available, swaptotal, swapused: swaptotal - swapfree };
}

/** The number of CPUs the kernel lists in /proc/stat (`cpuN` lines): what `os.cpus().length` counts. */
export function countProcStatCpus(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (/^cpu\d+\s/.test(line)) n++;
  return n;
}
