// Incidents: the stability numbers (MTBF, MTTD, MTTI, MTTR, goodput per job), trend charts
// (incidents per day stacked by category, MTTR per day; uPlot), the filtered incident list,
// and one incident's five moments on one axis with the gaps named, plus its events. The live
// feed does not carry incidents, so both pages poll every 5 s.
import { getJson } from './api.js';
import { h, onResize, replace, table, when } from './dom.js';
import {
  CATEGORIES,
  CATEGORY_META,
  categoryLabel,
  culpritText,
  filterIncidents,
  formatDuration,
  formatGoodput,
  INCIDENT_STATUS_META,
  incidentTimes,
  lostText,
  timelineLayout,
  trendSeries,
  WINDOWS,
} from './incidents-model.js';

const NOT_ENABLED = 'Incident tracking is not enabled on this collector: no incidents to show.';
const POLL_MS = 5000;

function statusBadge(status) {
  const m = INCIDENT_STATUS_META[status] ?? { label: status, symbol: '?', cls: 's-offline', help: '' };
  return h('span', { class: `badge ${m.cls}`, title: m.help, dataset: { status } }, `${m.symbol} ${m.label}`);
}

function select(id, label, options, value, onChange) {
  return h(
    'label',
    { for: id },
    label,
    h(
      'select',
      { id, onChange: (e) => onChange(e.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ),
  );
}

/** @param {HTMLElement} root */
export function mountIncidents(root) {
  const abort = new AbortController();
  const view = { window: '7d', status: '', category: '' };
  const statsEl = h('section', { id: 'incidents-stats', 'aria-label': 'Stability figures' });
  const trendsEl = h('section', { id: 'incidents-trends', 'aria-label': 'Trends' });
  const countEl = h('p', { id: 'incidents-count', class: 'muted', role: 'status', 'aria-live': 'polite' });
  const listEl = h('div', { id: 'incidents-list' }, h('p', { class: 'muted' }, 'Loading…'));
  let incidents = [];
  let lastList = '';
  let lastStats = '';
  let lastStatsData;
  let charts = [];

  const toolbar = h(
    'div',
    { class: 'toolbar' },
    select('incidents-window', 'Window', WINDOWS, view.window, (v) => {
      view.window = v;
      load();
    }),
    select(
      'incidents-status',
      'Status',
      [
        ['', 'all'],
        ['active', 'not recovered'],
        ...Object.entries(INCIDENT_STATUS_META).map(([k, m]) => [k, `${m.symbol} ${m.label}`]),
      ],
      view.status,
      (v) => {
        view.status = v;
        drawList();
      },
    ),
    select(
      'incidents-category',
      'Category',
      [['', 'all'], ...CATEGORIES.map((c) => [c, CATEGORY_META[c].label])],
      view.category,
      (v) => {
        view.category = v;
        drawList();
      },
    ),
  );
  replace(
    root,
    h('h1', null, 'Incidents'),
    statsEl,
    trendsEl,
    h('h2', null, 'Incident list'),
    toolbar,
    countEl,
    listEl,
  );

  async function load() {
    const since = encodeURIComponent(view.window);
    const [list, stats] = await Promise.all([
      getJson(`/api/incidents?since=${since}&limit=1000`, abort.signal),
      getJson(`/api/incidents/stats?since=${since}`, abort.signal),
    ]).catch(() => []);
    if (!list || abort.signal.aborted) return;
    if (list.status === 'absent') {
      lastList = '';
      replace(statsEl);
      replace(trendsEl);
      replace(countEl);
      return replace(listEl, h('p', { class: 'notice', id: 'incidents-absent' }, NOT_ENABLED));
    }
    if (list.status === 'error') return replace(listEl, h('p', { class: 'error' }, list.message));
    const listText = JSON.stringify(list.data);
    if (listText !== lastList) {
      lastList = listText;
      incidents = list.data.incidents ?? [];
      drawList();
    }
    if (stats?.status === 'ok') {
      const statsText = JSON.stringify(stats.data);
      if (statsText !== lastStats) {
        lastStats = statsText;
        lastStatsData = stats.data;
        drawStats(stats.data);
      }
    } else if (stats) {
      lastStats = '';
      replace(statsEl, h('p', { class: stats.status === 'error' ? 'error' : 'notice' }, `Figures: ${stats.message}`));
    }
  }

  function drawList() {
    const shown = filterIncidents(incidents, view);
    countEl.textContent = `${shown.length} of ${incidents.length} incidents shown.`;
    replace(
      listEl,
      shown.length === 0
        ? h(
            'p',
            { class: 'muted' },
            incidents.length ? 'No incident matches these filters.' : 'No incidents in this window.',
          )
        : table(
            ['Status', 'Incident', 'Category', 'Job', 'Culprit', 'First evidence', 'MTTD', 'MTTI', 'MTTR', 'Lost'],
            shown.map((i) => {
              const t = incidentTimes(i);
              return [
                statusBadge(i.status),
                [
                  h('a', { href: `#/incident/${encodeURIComponent(i.id)}`, dataset: { id: i.id } }, i.id),
                  h('div', { class: 'muted small' }, i.title ?? ''),
                ],
                categoryLabel(i.category),
                i.job ? h('a', { href: `#/job/${encodeURIComponent(i.job)}` }, i.job) : '—',
                culpritText(i.culprit),
                when(i.timeline?.firstEvidence),
                formatDuration(t.ttd),
                formatDuration(t.tti),
                formatDuration(t.ttr),
                lostText(i),
              ];
            }),
            { label: 'Incidents', num: [6, 7, 8] },
          ),
    );
  }

  function drawStats(s) {
    const gpuRelated = (s.byCategory?.gpu ?? 0) + (s.byCategory?.['gpu-memory'] ?? 0) + (s.byCategory?.nvlink ?? 0);
    const stat = (id, label, value, note) =>
      h('div', { class: 'stat', id }, h('dt', null, label), h('dd', null, value, note ? h('small', null, note) : null));
    replace(
      statsEl,
      h(
        'dl',
        { class: 'stats' },
        stat('stat-incidents', 'Incidents', String(s.incidents ?? 0), `${s.open ?? 0} not recovered`),
        stat('stat-mtbf', 'MTBF (fleet)', formatDuration(s.mtbf?.fleet), 'mean time between failures'),
        stat('stat-mttd', 'MTTD', formatDuration(s.mttd), 'mean time to detect'),
        stat('stat-mtti', 'MTTI', formatDuration(s.mtti), 'mean time to identify'),
        stat('stat-mttr', 'MTTR', formatDuration(s.mttr), 'mean time to recover'),
        stat(
          'stat-lost',
          'Lost',
          formatDuration(s.lost?.total),
          `${Number(s.lost?.gpuHours ?? 0).toFixed(1)} GPU-hours`,
        ),
        stat(
          'stat-gpu-share',
          'GPU-related',
          s.incidents ? `${((100 * gpuRelated) / s.incidents).toFixed(1)} %` : '—',
          'Llama 3: 58.7 %',
        ),
      ),
      (s.goodput ?? []).length
        ? table(
            ['Job', 'GPUs', 'Goodput', 'Productive', 'Wall', 'Incidents'],
            [...s.goodput]
              .sort((a, b) => a.goodput - b.goodput)
              .map((g) => [
                h('a', { href: `#/job/${encodeURIComponent(g.job)}` }, g.job),
                String(g.gpus),
                formatGoodput(g.goodput),
                formatDuration(g.productive),
                formatDuration(g.wall),
                String(g.incidents),
              ]),
            { label: 'Goodput per job', num: [1, 2, 3, 4, 5] },
          )
        : h('p', { class: 'muted' }, 'No job ran in this window.'),
    );
    drawTrends(s);
  }

  function drawTrends(s) {
    for (const c of charts) c.destroy();
    charts = [];
    const tr = trendSeries(s.trend);
    const perDay = h('div', {
      class: 'chart',
      id: 'chart-incidents-per-day',
      role: 'img',
      'aria-label': `Incidents per day by category: ${tr.total} in the window`,
    });
    const mttr = h('div', { class: 'chart', id: 'chart-mttr', role: 'img', 'aria-label': 'MTTR per day, minutes' });
    const hasMttr = tr.mttrMinutes[1].some((v) => v !== null);
    replace(
      trendsEl,
      h('h2', null, 'Incidents per day, by category'),
      tr.stacked.categories.length ? perDay : h('p', { class: 'muted' }, 'No incidents in this window.'),
      h('h2', null, 'MTTR per day'),
      hasMttr ? mttr : h('p', { class: 'muted' }, 'No incident recovered in this window.'),
      h(
        'details',
        null,
        h('summary', null, 'The same figures as a table'),
        table(
          ['Day (UTC)', 'Incidents', 'By category', 'MTTR'],
          (s.trend ?? []).map((d) => [
            d.day,
            String(d.incidents ?? 0),
            Object.entries(d.byCategory ?? {})
              .filter(([, n]) => n > 0)
              .map(([c, n]) => `${categoryLabel(c)} ${n}`)
              .join(', ') || '—',
            formatDuration(d.mttr),
          ]),
          { label: 'Incidents per day', num: [1, 3] },
        ),
      ),
    );
    const uPlot = window.uPlot;
    if (!uPlot) return;
    const width = Math.max(300, trendsEl.clientWidth - 8);
    // One tick per UTC day (or fewer), half a day of room at each end for the bars.
    const dayAxis = {
      incrs: [86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400],
      values: (_u, splits) => splits.map((s) => new Date(s * 1000).toISOString().slice(5, 10)),
    };
    const xScale = { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] };
    if (tr.stacked.categories.length) {
      const bars = uPlot.paths.bars({ size: [0.6, 48] });
      charts.push(
        new uPlot(
          {
            width,
            height: 240,
            scales: { x: xScale, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max))] } },
            series: [
              {},
              ...tr.stacked.categories.map((c, k) => ({
                label: categoryLabel(c),
                stroke: CATEGORY_META[c]?.color ?? '#555',
                fill: CATEGORY_META[c]?.color ?? '#555',
                width: 1,
                paths: bars,
                points: { show: false },
                value: (_u, _v, _si, idx) => (idx === null || idx === undefined ? '—' : String(tr.stacked.raw[k][idx])),
              })),
            ],
            axes: [dayAxis, { label: 'incidents', size: 50, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }],
          },
          tr.stacked.data,
          perDay,
        ),
      );
    }
    if (hasMttr) {
      charts.push(
        new uPlot(
          {
            width,
            height: 200,
            scales: { x: xScale, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
            series: [
              {},
              {
                label: 'MTTR',
                stroke: '#1f4e8c',
                width: 2,
                points: { show: true, size: 7 },
                value: (_u, v) => (v === null || v === undefined ? '—' : formatDuration(v * 60_000)),
              },
            ],
            axes: [dayAxis, { label: 'minutes', size: 50 }],
          },
          tr.mttrMinutes,
          mttr,
        ),
      );
    }
  }

  const timer = setInterval(load, POLL_MS);
  const stopResize = onResize(() => lastStatsData && drawTrends(lastStatsData));
  load();
  return {
    unmount() {
      abort.abort();
      clearInterval(timer);
      stopResize();
      for (const c of charts) c.destroy();
    },
  };
}

/** Position an element on the axis through the CSSOM (the CSP refuses style attributes). */
function place(el, left, width) {
  el.style.left = `${left.toFixed(2)}%`;
  if (width !== undefined) el.style.width = `${width.toFixed(2)}%`;
  return el;
}

/** The five moments on one axis, the gaps labelled, and the same moments as an ordered list. */
function timelinePart(incident, now) {
  const { moments, gaps } = timelineLayout(incident, now);
  const shortTime = (ms) => new Date(ms).toLocaleTimeString();
  return h(
    'figure',
    { class: 'timeline', id: 'incident-timeline' },
    h(
      'div',
      { class: 'tl-axis', 'aria-hidden': 'true' },
      gaps.map((g) =>
        place(
          h(
            'div',
            { class: `tl-gap gap-${g.key}${g.ongoing ? ' ongoing' : ''}`, dataset: { gap: g.key } },
            h('span', { class: 'tl-gap-label' }, `${g.label}${g.ongoing ? ' (ongoing)' : ''} ${formatDuration(g.ms)}`),
          ),
          g.start,
          g.width,
        ),
      ),
      moments
        .filter((m) => m.at !== undefined)
        .map((m, k) =>
          place(
            h(
              'div',
              {
                class: `tl-moment ${k % 2 ? 'below' : 'above'}${m.pos < 8 ? ' edge-start' : m.pos > 92 ? ' edge-end' : ''}`,
                dataset: { moment: m.key },
                title: when(m.at),
              },
              h('span', { class: 'tl-dot' }),
              h('span', { class: 'tl-label' }, h('strong', null, m.label), ` ${shortTime(m.at)}`),
            ),
            m.pos,
          ),
        ),
    ),
    h(
      'figcaption',
      null,
      h(
        'ol',
        { class: 'tl-list', 'aria-label': 'The five moments' },
        moments.map((m) =>
          h(
            'li',
            { dataset: { moment: m.key }, class: m.at === undefined ? 'muted' : null },
            h('strong', null, m.label),
            ': ',
            m.at === undefined ? 'not yet' : when(m.at),
          ),
        ),
      ),
      h(
        'p',
        { class: 'tl-gaps' },
        gaps.map((g) => `${g.label}${g.ongoing ? ' (ongoing)' : ''} ${formatDuration(g.ms)}`).join(' → '),
      ),
    ),
  );
}

/** @param {HTMLElement} root @param {{ route: { id: string } }} ctx */
export function mountIncident(root, ctx) {
  const id = ctx.route.id;
  const abort = new AbortController();
  const titleEl = h('h1', null, `Incident ${id}`);
  const body = h('div', { id: 'incident-body' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('p', null, h('a', { href: '#/incidents' }, '← Incidents')), titleEl, body);
  let last = '';

  const load = async () => {
    const r = await getJson(`/api/incidents/${encodeURIComponent(id)}`, abort.signal).catch(() => undefined);
    if (!r || abort.signal.aborted) return;
    if (r.status === 'absent') {
      const list = await getJson('/api/incidents?limit=1', abort.signal).catch(() => undefined);
      const msg = list?.status === 'absent' ? NOT_ENABLED : `No incident called “${id}” is known to the collector.`;
      last = '';
      return replace(body, h('p', { class: 'notice', id: 'incident-absent' }, msg));
    }
    if (r.status === 'error') return replace(body, h('p', { class: 'error' }, r.message));
    const text = JSON.stringify(r.data);
    if (text === last && r.data.status === 'recovered') return;
    last = text;
    draw(r.data, Date.now());
  };

  function draw(i, now) {
    titleEl.textContent = `Incident ${i.id}: ${i.title ?? ''}`;
    const t = incidentTimes(i);
    const kv = (label, value) => [h('dt', null, label), h('dd', null, value)];
    const restored =
      i.restoredStep === undefined
        ? '—'
        : `step ${i.restoredStep}${i.restoredSource ? ` (${i.restoredSource})` : ''}${i.stepReached !== undefined ? `, had reached ${i.stepReached}` : ''}`;
    replace(
      body,
      h(
        'div',
        { class: 'panel' },
        h(
          'dl',
          { class: 'kv', id: 'incident-facts' },
          kv('Status', statusBadge(i.status)),
          kv('Category', categoryLabel(i.category)),
          kv('Job', i.job ? h('a', { href: `#/job/${encodeURIComponent(i.job)}` }, i.job) : '—'),
          kv(
            'Culprit',
            i.culprit
              ? [
                  h('a', { href: `#/node/${encodeURIComponent(i.culprit.node)}` }, i.culprit.node),
                  i.culprit.component ? ` ${i.culprit.component}` : '',
                  h('span', { class: 'mono' }, ` (${i.culprit.code})`),
                ]
              : 'not identified yet',
          ),
          kv(
            'Nodes',
            (i.nodes ?? []).map((n, k) => [k ? ', ' : '', h('a', { href: `#/node/${encodeURIComponent(n)}` }, n)]),
          ),
          kv('Findings', h('span', { class: 'mono' }, (i.codes ?? []).join(', ') || '—')),
          kv('Restored from', restored),
          kv('MTTD · MTTI · MTTR', `${formatDuration(t.ttd)} · ${formatDuration(t.tti)} · ${formatDuration(t.ttr)}`),
          kv('Lost', lostText(i)),
        ),
      ),
      h('h2', null, 'Timeline'),
      timelinePart(i, now),
      i.lost
        ? table(
            ['Detection', 'Identification', 'Recovery', 'Recomputation', 'Total', 'GPU-hours'],
            [
              [
                formatDuration(i.lost.detection),
                formatDuration(i.lost.identification),
                formatDuration(i.lost.recovery),
                formatDuration(i.lost.recompute),
                formatDuration(i.lost.total),
                Number(i.lost.gpuHours ?? 0).toFixed(1),
              ],
            ],
            { label: 'Lost time', num: [0, 1, 2, 3, 4, 5] },
          )
        : null,
      h('h2', null, 'Events'),
      (i.events ?? []).length === 0
        ? h('p', { class: 'muted' }, 'No events recorded.')
        : table(
            ['When', 'Kind', 'Node', 'Finding', 'What'],
            [...i.events]
              .sort((a, b) => a.at - b.at)
              .map((e) => [
                when(e.at),
                e.kind,
                e.node ? h('a', { href: `#/node/${encodeURIComponent(e.node)}` }, e.node) : '—',
                e.code ? h('span', { class: 'mono' }, `${e.code}${e.component ? ` ${e.component}` : ''}`) : '—',
                e.text ?? '',
              ]),
            { label: 'Incident events' },
          ),
    );
  }

  const timer = setInterval(load, POLL_MS);
  load();
  return {
    unmount() {
      abort.abort();
      clearInterval(timer);
    },
  };
}
