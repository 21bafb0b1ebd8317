/** Static files: the request-path → file key mapping never escapes, types are right, files load. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assetKeyOf, contentTypeOf, defaultStaticDir, loadAssets } from './static-assets.ts';

describe('assetKeyOf', () => {
  it('maps / and /ui/ paths to keys', () => {
    expect(assetKeyOf('/')).toBe('index.html');
    expect(assetKeyOf('/index.html')).toBe('index.html');
    expect(assetKeyOf('/ui/app.js')).toBe('app.js');
    expect(assetKeyOf('/ui/vendor/uPlot.min.css')).toBe('vendor/uPlot.min.css');
    expect(assetKeyOf('/api/nodes')).toBeUndefined();
  });

  it('refuses traversal, empty segments, backslashes, NULs and bad encoding', () => {
    for (const p of [
      '/ui/../x',
      '/ui/%2e%2e/x',
      '/ui/a/..%2f..%2fx',
      '/ui/a//b',
      '/ui/.',
      '/ui/',
      '/ui/a%5cb',
      '/ui/%00',
      '/ui/%zz',
    ]) {
      expect(assetKeyOf(p), p).toBeUndefined();
    }
  });

  it('never yields a key with a dot-segment, whatever the path', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '/', 'a', 'b.js', '%5c', '\\', '%00')),
        (parts) => {
          const key = assetKeyOf(`/ui/${parts.join('')}`);
          if (key !== undefined) {
            expect(key.split('/')).not.toContain('..');
            expect(key.split('/')).not.toContain('.');
            expect(key).not.toMatch(/[\\\0]/);
            expect(key.startsWith('/')).toBe(false);
          }
        },
      ),
    );
  });
});

describe('loadAssets', () => {
  it('loads the pages, the modules and uPlot with content types and ETags, and leaves declarations out', () => {
    const a = loadAssets(defaultStaticDir());
    for (const k of [
      'index.html',
      'app.js',
      'model.js',
      'style.css',
      'vendor/uPlot.iife.min.js',
      'vendor/uPlot.min.css',
    ]) {
      expect(a.has(k), k).toBe(true);
    }
    expect(a.has('model.d.ts')).toBe(false);
    expect(a.get('app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    expect(a.get('vendor/uPlot.min.css')!.contentType).toBe('text/css; charset=utf-8');
    expect(a.get('app.js')!.etag).not.toBe(a.get('model.js')!.etag);
    expect(a.get('vendor/uPlot.iife.min.js')!.gzip!.length).toBeLessThan(
      a.get('vendor/uPlot.iife.min.js')!.body.length,
    );
    expect(contentTypeOf('x.ts')).toBeUndefined();
  });
});
