// The fleet grid: one tile per node, coloured and marked by its state, grouped and filtered,
// live. Tiles are kept as elements keyed by node id: a change redraws one tile in place, and
// the grid is rebuilt only when a tile moves between groups or in/out of the filter. Drawing
// waits for the next animation frame, so bursts of updates cost one paint.
import { h, replace } from './dom.js';
import {
  buildGroups,
  countStates,
  labelKeys,
  moveIndex,
  needsRelayout,
  STATE_META,
  STATES,
  tileState,
} from './model.js';

/** Settings kept while the page lives, so coming back from a node page restores the grid. */
const settings = { by: 'job', sort: 'name', text: '', states: new Set(), lastOpened: '' };

const ATTENTION_STATES = ['isolated', 'lost', 'fatal', 'degraded'];
const ATTENTION_MAX = 24;

/** @param {HTMLElement} root @param {{ live: import('./live.js').LiveTiles }} ctx */
export function mountFleet(root, ctx) {
  const { live } = ctx;
  /** The grouping in effect: the chosen one, or none while no node carries that label. */
  let by = 'none';
  const view = () => ({ by, sort: settings.sort, filter: { text: settings.text, states: settings.states } });
  /** @type {Map<string, HTMLAnchorElement>} */
  const tiles = new Map();
  /** What each tile element currently draws. */
  const drawn = new Map();
  let order = [];
  let layoutGroups = [];
  let relayoutDue = true;
  /** The one tile in the tab order (roving tabindex). */
  let tabbable;
  const setTabbable = (el) => {
    if (tabbable && tabbable !== el) tabbable.tabIndex = -1;
    tabbable = el;
    if (el) el.tabIndex = 0;
  };
  const redrawDue = new Set();
  let frame = 0;

  const search = h('input', {
    type: 'search',
    id: 'fleet-search',
    placeholder: 'search: node, label, finding code, key=value',
    'aria-label': 'Search nodes',
    value: settings.text,
    onInput: (e) => {
      settings.text = e.target.value;
      schedule(true);
    },
  });
  const groupSel = h('select', {
    id: 'fleet-group',
    'aria-label': 'Group by',
    onChange: (e) => {
      settings.by = e.target.value;
      schedule(true);
    },
  });
  const sortSel = h(
    'select',
    {
      id: 'fleet-sort',
      'aria-label': 'Order',
      onChange: (e) => {
        settings.sort = e.target.value;
        schedule(true);
      },
    },
    h('option', { value: 'name' }, 'by name'),
    h('option', { value: 'worst' }, 'worst first'),
  );
  sortSel.value = settings.sort;
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Filter by state' });
  const chipEls = new Map();
  for (const s of STATES) {
    const n = h('span', { class: 'n' }, '0');
    const chip = h(
      'button',
      {
        type: 'button',
        class: `chip s-${s}`,
        dataset: { state: s },
        'aria-pressed': String(settings.states.has(s)),
        title: STATE_META[s].help,
        onClick: () => {
          if (settings.states.has(s)) settings.states.delete(s);
          else settings.states.add(s);
          chip.setAttribute('aria-pressed', String(settings.states.has(s)));
          schedule(true);
        },
      },
      h('span', { 'aria-hidden': 'true' }, STATE_META[s].symbol),
      STATE_META[s].label,
      n,
    );
    chipEls.set(s, { chip, n });
    chips.append(chip);
  }
  const total = h('span', { class: 'muted', id: 'fleet-total' });
  const attention = h('div', { class: 'attention', id: 'attention', 'aria-live': 'polite' });
  const grid = h('div', { id: 'fleet-grid', onKeydown: onKey, onFocusin: onFocus, onMouseover: onHover });
  const status = h(
    'div',
    { class: 'statusbar', id: 'fleet-status', 'aria-live': 'polite' },
    'Point at or focus a tile for details · arrow keys move between tiles · Enter opens · / searches',
  );
  const waiting = h('p', { class: 'muted', id: 'fleet-waiting' }, 'Waiting for the collector…');

  replace(
    root,
    h('h1', null, 'Fleet'),
    h(
      'div',
      { class: 'toolbar' },
      search,
      h('label', null, 'Group by', groupSel),
      h('label', null, 'Order', sortSel),
      h(
        'button',
        {
          type: 'button',
          onClick: () => {
            settings.text = '';
            search.value = '';
            settings.states.clear();
            for (const { chip } of chipEls.values()) chip.setAttribute('aria-pressed', 'false');
            schedule(true);
          },
        },
        'Clear filters',
      ),
      total,
    ),
    chips,
    attention,
    waiting,
    grid,
    status,
  );

  const offChange = live.onChange(({ full, changed, before }) => {
    if (full) return schedule(true);
    for (const id of changed) {
      if (needsRelayout(before.get(id) ?? drawn.get(id), live.table.get(id), view())) relayoutDue = true;
      else redrawDue.add(id);
    }
    schedule(false);
  });
  schedule(true);

  function schedule(relayout) {
    if (relayout) relayoutDue = true;
    if (!frame) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (live.ready) waiting.remove();
    if (relayoutDue) {
      relayoutDue = false;
      redrawDue.clear();
      layout();
    } else {
      for (const id of redrawDue) {
        const t = live.table.get(id);
        const el = tiles.get(id);
        if (t && el) drawTile(el, t);
      }
      redrawDue.clear();
    }
    summarize();
  }

  function tileEl(id) {
    let el = tiles.get(id);
    if (!el) {
      el = document.createElement('a');
      el.tabIndex = -1;
      el.dataset.id = id;
      el.setAttribute('role', 'listitem');
      el.href = `#/node/${encodeURIComponent(id)}`;
      el.append(document.createElement('span'));
      el.firstChild.className = 'sym';
      el.firstChild.setAttribute('aria-hidden', 'true');
      el.addEventListener('click', () => {
        settings.lastOpened = id;
      });
      tiles.set(id, el);
    }
    return el;
  }

  function drawTile(el, t) {
    if (drawn.get(t.id) === t) return;
    const s = tileState(t);
    const meta = STATE_META[s];
    const cls = `tile s-${s}`;
    if (el.className !== cls) el.className = cls;
    el.dataset.state = s;
    if (el.firstChild.textContent !== meta.symbol) el.firstChild.textContent = meta.symbol;
    const label = `${t.id}: ${meta.label}${t.top ? `, ${t.top}` : ''}${t.iso === 'pending-approval' ? ', isolation pending approval' : ''}`;
    el.setAttribute('aria-label', label);
    el.title = label;
    drawn.set(t.id, t);
  }

  function layout() {
    const keys = labelKeys(live.table.values());
    const options = ['none', 'state', ...keys];
    by = options.includes(settings.by) ? settings.by : 'none';
    if (groupSel.options.length !== options.length || [...groupSel.options].some((o, i) => o.value !== options[i])) {
      replace(
        groupSel,
        options.map((o) => h('option', { value: o }, o === 'none' ? 'nothing' : o)),
      );
    }
    groupSel.value = by;

    const groups = buildGroups(live.table.values(), view());
    const focusedId = document.activeElement?.dataset?.id;
    const frag = document.createDocumentFragment();
    order = [];
    layoutGroups = [];
    for (const g of groups) {
      const gridEl = h('div', { class: 'grid', role: 'list', 'aria-label': `${g.key}: ${g.tiles.length} nodes` });
      const countsEl = h('span', { class: 'counts' });
      layoutGroups.push({
        start: order.length,
        count: g.tiles.length,
        grid: gridEl,
        countsEl,
        ids: g.tiles.map((t) => t.id),
      });
      for (const t of g.tiles) {
        const el = tileEl(t.id);
        drawTile(el, t);
        gridEl.append(el);
        order.push(t.id);
      }
      frag.append(
        h(
          'section',
          { class: 'group', dataset: { group: g.key } },
          h(
            'div',
            { class: 'group-head' },
            h(
              'h2',
              null,
              by === 'none'
                ? 'All nodes'
                : by === 'job' && !g.key.startsWith('(')
                  ? ['job: ', h('a', { href: `#/job/${encodeURIComponent(g.key)}` }, g.key)]
                  : `${by}: ${g.key}`,
            ),
            countsEl,
          ),
          gridEl,
        ),
      );
    }
    for (const id of [...tiles.keys()]) if (!live.table.has(id)) tiles.delete(id);
    grid.replaceChildren(frag);
    if (order.length === 0 && live.ready)
      grid.append(
        h(
          'p',
          { class: 'muted' },
          live.table.size === 0 ? 'No nodes have connected yet.' : 'No node matches the filters.',
        ),
      );
    // Roving tabindex: exactly one tile is in the tab order.
    const keep =
      [focusedId, settings.lastOpened].find((id) => id && tiles.has(id) && tiles.get(id).isConnected) ?? order[0];
    setTabbable(keep ? tiles.get(keep) : undefined);
    if (focusedId && keep === focusedId) tiles.get(keep).focus({ preventScroll: true });
    else if (
      settings.lastOpened &&
      keep === settings.lastOpened &&
      !document.activeElement?.closest?.('.toolbar,.chips')
    ) {
      tiles.get(keep).focus();
      settings.lastOpened = '';
    }
  }

  function summarize() {
    for (const g of layoutGroups) {
      const c = countStates(g.ids.map((id) => live.table.get(id)).filter(Boolean));
      const text = `${g.count} nodes · ${STATES.filter((s) => c[s] > 0)
        .map((s) => `${STATE_META[s].symbol} ${c[s]} ${STATE_META[s].label}`)
        .join(' · ')}`;
      if (g.countsEl.textContent !== text) g.countsEl.textContent = text;
    }
    const counts = countStates(live.table.values());
    for (const [s, { chip, n }] of chipEls) {
      n.textContent = String(counts[s]);
      chip.classList.toggle('zero', counts[s] === 0);
    }
    total.textContent = `${order.length} of ${live.table.size} nodes shown`;
    const bad = [];
    for (const t of live.table.values()) if (ATTENTION_STATES.includes(tileState(t))) bad.push(t);
    bad.sort(
      (a, b) =>
        ATTENTION_STATES.indexOf(tileState(a)) - ATTENTION_STATES.indexOf(tileState(b)) || a.id.localeCompare(b.id),
    );
    const key = bad
      .slice(0, ATTENTION_MAX)
      .map((t) => `${t.id}:${tileState(t)}:${t.top ?? ''}`)
      .join('|');
    if (attention.dataset.key !== key) {
      attention.dataset.key = key;
      replace(
        attention,
        bad.length === 0
          ? h('span', { class: 'muted' }, 'Nothing needs attention.')
          : [
              h('strong', null, `Needs attention (${bad.length}):`),
              bad.slice(0, ATTENTION_MAX).map((t) => {
                const s = tileState(t);
                return h(
                  'a',
                  { class: `chip s-${s}`, href: `#/node/${encodeURIComponent(t.id)}`, dataset: { id: t.id } },
                  h('span', { 'aria-hidden': 'true' }, STATE_META[s].symbol),
                  `${t.id} — ${STATE_META[s].label}${t.top ? ` (${t.top})` : ''}`,
                );
              }),
              bad.length > ATTENTION_MAX
                ? h('span', { class: 'muted' }, `and ${bad.length - ATTENTION_MAX} more`)
                : null,
            ],
      );
    }
  }

  function measuredLayout() {
    return layoutGroups.map((g) => ({
      start: g.start,
      count: g.count,
      cols: Math.max(1, getComputedStyle(g.grid).gridTemplateColumns.split(' ').filter(Boolean).length),
    }));
  }

  function onKey(e) {
    const id = e.target?.dataset?.id;
    if (!id || !['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    e.preventDefault();
    const next = moveIndex(measuredLayout(), order.indexOf(id), e.key);
    const nextId = order[next];
    if (nextId === undefined || nextId === id) return;
    const to = tiles.get(nextId);
    setTabbable(to);
    to.focus({ preventScroll: true });
    to.scrollIntoView({ block: 'nearest' });
  }

  function onFocus(e) {
    const id = e.target?.dataset?.id;
    if (!id) return;
    setTabbable(e.target);
    showStatus(id);
  }

  function onHover(e) {
    const id = e.target?.closest?.('a.tile')?.dataset?.id;
    if (id) showStatus(id);
  }

  function showStatus(id) {
    const t = id ? live.table.get(id) : undefined;
    if (!t) return;
    const s = tileState(t);
    const labels = Object.entries(t.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    status.textContent = `${STATE_META[s].symbol} ${t.id} (${t.host}) — ${STATE_META[s].label}${t.top ? ` · ${t.top}` : ''}${t.n ? ` · ${t.n} active finding(s)` : ''}${labels ? ` · ${labels}` : ''} · Enter opens`;
  }

  return {
    unmount() {
      offChange();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
