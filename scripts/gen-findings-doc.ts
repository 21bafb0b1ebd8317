/** Writes docs/FINDINGS.md from the catalogs. Run: `node --import tsx scripts/gen-findings-doc.ts`. */
import { writeFileSync } from 'node:fs';
import { renderFindingsDoc } from './findings-doc.ts';

writeFileSync(new URL('../docs/FINDINGS.md', import.meta.url), renderFindingsDoc());
