// A tiny element builder. Text always goes in as text nodes, never as HTML, so node names,
// labels and evidence from agents cannot inject markup.

/**
 * h('a', { href: '#/x', class: 'tile' }, 'text', child) → an element.
 * Attributes: `class`, `text`, `on<Event>` handlers, `dataset`, booleans, anything else as attributes.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
}

/** A table from headers and rows of cells (strings or nodes); `num` marks numeric columns. */
export function table(headers, rows, opts = {}) {
  const num = new Set(opts.num ?? []);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      opts.label ? { 'aria-label': opts.label } : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((t, i) => h('th', { scope: 'col', class: num.has(i) ? 'num' : null }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            r.map((c, i) => h('td', num.has(i) ? { class: 'num' } : null, c ?? '')),
          ),
        ),
      ),
    ),
  );
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A local date-time for an epoch-ms value. */
export function when(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
}

/** Call `redraw` 200 ms after the window stops resizing; returns the function that stops listening. */
export function onResize(redraw) {
  let timer = 0;
  const listener = () => {
    clearTimeout(timer);
    timer = setTimeout(redraw, 200);
  };
  window.addEventListener('resize', listener);
  return () => {
    clearTimeout(timer);
    window.removeEventListener('resize', listener);
  };
}
