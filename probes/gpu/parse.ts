/**
 * Entry point of the gpu parsers (pure: text in, typed record out). Each nvidia-smi format has
 * its own module; this one re-exports them so callers import one place.
 */

export { parseSmiCsv } from './parse-csv.ts';
export { scanSmiIssues } from './parse-errors.ts';
export { parseNvlinkStatus } from './parse-nvlink.ts';
export { parseSmiTable } from './parse-table.ts';
export { parseSmiText } from './parse-text.ts';
export { parseSmiXml } from './parse-xml.ts';
