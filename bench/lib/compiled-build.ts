/**
 * Builds the production JavaScript (`tsc -p tsconfig.build.json` plus the runtime assets, as
 * the container image does) into a temporary folder inside node_modules/.cache, where Node still
 * resolves the repository's packages, so a bench or test can run `node <outDir>/cli/main.js`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export interface CompiledBuild {
  outDir: string;
  /** The entry point to run with `node`. */
  main: string;
  /** tsc's diagnostics (type errors do not stop emitting). */
  diagnostics: string;
  remove(): void;
}

/** Compile into a fresh folder; throws when tsc emitted no cli/main.js. */
export function buildCompiled(prefix = 'keelson-build-'): CompiledBuild {
  const cache = join(REPO_ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, prefix));
  const tsc = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  const assets = spawnSync('sh', ['packaging/container/copy-assets.sh', outDir], { cwd: REPO_ROOT, encoding: 'utf8' });
  const main = join(outDir, 'cli/main.js');
  const remove = () => rmSync(outDir, { recursive: true, force: true });
  if (!existsSync(main) || assets.status !== 0) {
    remove();
    throw new Error(`build failed: ${tsc.stdout}${tsc.stderr}${assets.stderr}`);
  }
  return { outDir, main, diagnostics: `${tsc.stdout}${tsc.stderr}`.trim(), remove };
}
