/**
 * Entry point of the gpu parsers (pure: text in, typed record out). Each nvidia-smi format has
 * its own module; this one re-exports them so callers import one place.
 */

export { GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_LEGACY, GPU_QUERY_FIELDS_R535, parseSmiCsv } from './parse-csv.ts';
export { scanSmiIssues } from './parse-errors.ts';
export { type NvlinkGpu, type NvlinkLink, type NvlinkReport, parseNvlinkStatus } from './parse-nvlink.ts';
export { parseSmiTable } from './parse-table.ts';
export { parseSmiText } from './parse-text.ts';
export { parseSmiXml } from './parse-xml.ts';
export type { ClockEventReasons, EccCounts, GpuRecord, GpuSnapshot, SmiIssue } from './record.ts';
