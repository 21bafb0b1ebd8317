/**
 * The dashboard's static files, read once into memory at start-up: the hand-written ES modules
 * under ./static and uPlot from node_modules (served under /ui/vendor/, never copied into the
 * repo). Lookup is by exact name in that table, so no request path can reach any other file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file ready to serve. */
export interface Asset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The content type for a file name; undefined for kinds the dashboard never serves. */
export function contentTypeOf(name: string): string | undefined {
  return TYPES[extname(name).toLowerCase()];
}

/**
 * The asset key for a request path: `/` → `index.html`, `/ui/a/b.js` → `a/b.js`. Anything
 * with `..`, a backslash, a NUL, or bad percent-encoding yields undefined. Pure.
 */
export function assetKeyOf(pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/index.html') return 'index.html';
  if (!pathname.startsWith('/ui/')) return undefined;
  let rest: string;
  try {
    rest = decodeURIComponent(pathname.slice(4));
  } catch {
    return undefined;
  }
  if (rest === '' || rest.includes('\\') || rest.includes('\0')) return undefined;
  const parts = rest.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return parts.join('/');
}

function makeAsset(body: Buffer, name: string): Asset | undefined {
  const contentType = contentTypeOf(name);
  if (!contentType) return undefined;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const compressible = !contentType.startsWith('image/png') && body.length > 1024;
  return { body, contentType, etag, ...(compressible ? { gzip: gzipSync(body, { level: 9 }) } : {}) };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Where the static folder is: beside this module when run from source, or in the source tree
 * when run from `dist/` (tsc does not copy non-TS files).
 */
export function defaultStaticDir(): string {
  const here = fileURLToPath(new URL('./static/', import.meta.url));
  if (existsSync(join(here, 'index.html'))) return here;
  return fileURLToPath(new URL('../../../collector/dashboard/static/', import.meta.url));
}

/** uPlot's files in node_modules, under the names the pages use. */
export function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dist = join(require.resolve('uplot'), '..');
  return {
    'vendor/uPlot.iife.min.js': join(dist, 'uPlot.iife.min.js'),
    'vendor/uPlot.min.css': join(dist, 'uPlot.min.css'),
  };
}

/** Read every static file (types we serve only; `.d.ts` declarations are for tests) plus the vendor files. */
export function loadAssets(staticDir: string, vendor: Record<string, string> = vendorFiles()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(staticDir)) {
    if (file.endsWith('.d.ts')) continue;
    const key = relative(staticDir, file).split(sep).join('/');
    const a = makeAsset(readFileSync(file), key);
    if (a) assets.set(key, a);
  }
  for (const [key, file] of Object.entries(vendor)) {
    const a = makeAsset(readFileSync(file), key);
    if (a) assets.set(key, a);
  }
  return assets;
}
