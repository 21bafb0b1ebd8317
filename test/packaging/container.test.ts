/**
 * The container image's recipe without a Docker engine: the same build steps (tsc into an
 * output folder plus copy-assets.sh) give JavaScript that runs a collector serving /healthz
 * with no tsx, every folder tsc emits is copied by the Dockerfile and let through its
 * .dockerignore, and bin/keelson.js prefers the compiled build.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildCompiled, type CompiledBuild } from '../../bench/lib/compiled-build.ts';
import { SpawnedProcess, waitUntil } from '../../bench/lib/spawned.ts';
import { freePort, REPO_ROOT, TEST_TOKEN, tempDir } from '../helpers/processes.ts';

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'packaging/container/Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(REPO_ROOT, 'packaging/container/Dockerfile.dockerignore'), 'utf8');

/** Sources of `COPY <src...> <dest>` lines without --from (what comes from the build context). */
function contextCopies(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
}

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

let build: CompiledBuild;
let collector: SpawnedProcess | undefined;
beforeAll(() => {
  build = buildCompiled('keelson-test-build-');
}, 120_000);
afterAll(async () => {
  await collector?.stop();
  build?.remove();
});

describe('container image recipe', () => {
  it('builds in two stages on node:20-slim and runs the compiled JavaScript', () => {
    expect(DOCKERFILE).toMatch(/^FROM node:20-slim AS build$/m);
    expect(DOCKERFILE).toMatch(/RUN npm run build && sh packaging\/container\/copy-assets\.sh dist/);
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev/);
    expect(DOCKERFILE).toMatch(/^ENTRYPOINT \["node", "dist\/cli\/main\.js"\]$/m);
    const instructions = DOCKERFILE.split('\n').filter((l) => !l.startsWith('#'));
    expect(instructions.join('\n')).not.toMatch(/tsx/);
    const runtime = DOCKERFILE.split(/^FROM /m).at(-1) ?? '';
    expect(runtime).toMatch(/^node:20-slim\n/);
    expect(runtime).toMatch(/COPY --from=build \/src\/dist dist/);
  });

  it('the compiled output has no TypeScript imports left', () => {
    // what tsc emitted (it writes a source map beside each); copied browser assets are not modules of ours
    const files = walkFiles(build.outDir);
    const js = files.filter((f) => f.endsWith('.js') && files.includes(`${f}.map`));
    expect(js.length).toBeGreaterThan(50);
    const tsImports = js.filter((f) => /(?:from|import\()\s*['"][^'"]+\.ts['"]/.test(readFileSync(f, 'utf8')));
    expect(tsImports).toEqual([]);
  });

  it('every folder tsc emits is copied into the build stage and allowed by the .dockerignore', () => {
    const emitted = readdirSync(build.outDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(emitted).toEqual(expect.arrayContaining(['cli', 'agent', 'collector', 'core', 'protocol', 'probes']));
    const copied = contextCopies(DOCKERFILE);
    const allowed = DOCKERIGNORE.split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const dir of emitted) {
      expect(copied, `Dockerfile COPY ${dir}`).toContain(dir);
      expect(allowed, `.dockerignore !${dir}/`).toContain(dir);
    }
    for (const src of copied) expect(allowed, `.dockerignore lets ${src} through`).toContain(src.replace(/\/$/, ''));
  });

  it('the compiled collector starts without tsx and serves /healthz and the API', async () => {
    const dir = tempDir('keelson-compiled-');
    const cfg = join(dir, 'collector.yaml');
    writeFileSync(cfg, stringify({ tokens: [TEST_TOKEN] }));
    const port = await freePort();
    const env = { ...process.env, NODE_OPTIONS: '', KEELSON_LOG_LEVEL: 'info' };
    // run from an unrelated folder: nothing may depend on the working directory
    collector = new SpawnedProcess(
      process.execPath,
      [build.main, 'collector', '--config', cfg, '--port', String(port), '--data-dir', join(dir, 'data')],
      env,
      dir,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () => {
        if (!collector?.alive) throw new Error(`collector exited: ${collector?.output}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      20_000,
      'the compiled collector',
    );
    expect((await fetch(`${url}/api/nodes`)).status).toBe(200);
    const maps = readFileSync(`/proc/${collector.pid}/cmdline`, 'utf8').split('\0');
    expect(maps).toEqual([
      process.execPath,
      build.main,
      'collector',
      '--config',
      cfg,
      '--port',
      String(port),
      '--data-dir',
      join(dir, 'data'),
      '',
    ]);
    expect(collector.output).not.toMatch(/tsx/);
    await collector.stop();
    expect(collector.child.exitCode).toBe(0);
  }, 60_000);

  it('bin/keelson.js runs dist/cli/main.js when it exists', () => {
    const dir = tempDir('keelson-shim-');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist/cli'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'bin/keelson.js'), readFileSync(join(REPO_ROOT, 'bin/keelson.js')));
    writeFileSync(join(dir, 'dist/cli/main.js'), "process.stdout.write('compiled entry ran\\n');\n");
    const r = spawnSync(process.execPath, [join(dir, 'bin/keelson.js')], { encoding: 'utf8' });
    expect(r.stdout).toBe('compiled entry ran\n');
    expect(r.status).toBe(0);
  });
});
