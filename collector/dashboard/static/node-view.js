// One node: its state, active findings with evidence, suggested action and history, every
// probe with its status and age, hardware tables (GPUs, IB ports, NVMe) from the latest
// samples, versions and other facts. Refetched when the node's tile changes (at most once a
// second) and every 10 s so ages stay true.
import { getJson, postJson } from './api.js';
import { h, replace, table, when } from './dom.js';
import {
  formatAge,
  formatValue,
  hardwareTables,
  historyOf,
  metricTitle,
  STATE_META,
  sortFindings,
  splitFacts,
  tileState,
} from './model.js';
import { ensureToken } from './token.js';

const SEV_SYMBOL = { fatal: '✖', degraded: '▲', warn: '!', info: 'i' };
const PROBE_SYMBOL = { ok: '✓', failed: '✖', timeout: '⏱', unsupported: '–', pending: '…' };

/** @param {HTMLElement} root @param {{ live: import('./live.js').LiveTiles, route: { id: string } }} ctx */
export function mountNode(root, ctx) {
  const id = ctx.route.id;
  const abort = new AbortController();
  let last = 0;
  let pending = 0;
  const body = h('div', { id: 'node-body' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('p', null, h('a', { href: '#/' }, '← Fleet')), h('h1', null, `Node ${id}`), body);

  const load = async () => {
    last = Date.now();
    const [detail, events, iso] = await Promise.all([
      getJson(`/api/nodes/${encodeURIComponent(id)}`, abort.signal),
      getJson(`/api/finding-events?node=${encodeURIComponent(id)}&limit=2000`, abort.signal),
      getJson('/api/isolation', abort.signal),
    ]).catch(() => []);
    if (!detail || abort.signal.aborted) return;
    if (detail.status === 'absent')
      return replace(body, h('p', { class: 'notice' }, `No node called “${id}” has ever connected.`));
    if (detail.status === 'error') return replace(body, h('p', { class: 'error' }, detail.message));
    draw(detail.data, events?.status === 'ok' ? events.data.events : [], iso?.status === 'ok' ? iso.data : undefined);
  };

  const refresh = () => {
    if (pending) return;
    const wait = Math.max(0, 1000 - (Date.now() - last));
    pending = setTimeout(() => {
      pending = 0;
      load();
    }, wait);
  };

  const off = ctx.live.onChange(({ full, changed }) => {
    if (full || changed.includes(id)) refresh();
  });
  const timer = setInterval(refresh, 10_000);
  load();

  function draw(d, events, isolation) {
    const tile = ctx.live.table.get(id);
    const state = tile ? tileState(tile) : d.node.state === 'lost' ? 'lost' : 'ok';
    const meta = STATE_META[state];
    const record = isolation?.isolated?.find((r) => r.node === id);
    const findings = sortFindings(d.findings);
    const now = Date.now();
    const facts = splitFacts(d.facts);
    replace(
      body,
      h(
        'div',
        { class: 'panel' },
        h(
          'p',
          null,
          h(
            'span',
            { class: `badge s-${state}`, id: 'node-state' },
            h('span', { 'aria-hidden': 'true' }, meta.symbol),
            meta.label,
          ),
          ' ',
          h('span', { class: 'muted' }, meta.help),
        ),
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, 'Host name'),
          h('dd', null, d.node.hostname),
          h('dt', null, 'Connection'),
          h('dd', null, `${d.node.state}, last heard ${formatAge(now - d.node.lastSeen)} ago`),
          h('dt', null, 'Agent'),
          h('dd', null, `${d.node.agentVersion} (agent says ${d.node.agentHealth})`),
          h('dt', null, 'Labels'),
          h(
            'dd',
            null,
            Object.entries(d.node.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || '—',
          ),
          d.node.bootId ? [h('dt', null, 'Boot id'), h('dd', { class: 'mono' }, d.node.bootId)] : null,
          h('dt', null, 'First seen'),
          h('dd', null, when(d.node.firstSeen)),
        ),
        record ? isolationBox(record) : null,
      ),
      h('h2', null, `Active findings (${findings.length})`),
      findings.length === 0
        ? h('p', { class: 'muted' }, 'No active findings.')
        : h(
            'div',
            { id: 'findings' },
            findings.map((f) => findingCard(f, historyOf(events, f.code, f.component), now)),
          ),
      h('h2', null, `Probes (${d.probes.length})`),
      d.probes.length === 0
        ? h('p', { class: 'muted' }, 'The agent has not reported its probes yet.')
        : table(
            ['Probe', 'Status', 'Last run', 'Took', 'Reason'],
            [...d.probes]
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((p) => [
                p.name,
                h(
                  'span',
                  { class: `badge p-${p.status}` },
                  h('span', { 'aria-hidden': 'true' }, PROBE_SYMBOL[p.status] ?? '?'),
                  p.status,
                ),
                p.lastRun ? `${formatAge(now - p.lastRun)} ago` : 'never',
                p.durationMs === undefined ? '—' : `${Math.round(p.durationMs)} ms`,
                p.reason ?? '',
              ]),
            { label: 'Probes', num: [3] },
          ),
      hardwareTables(d.samples ?? []).map((t) =>
        h(
          'section',
          null,
          h('h2', null, t.title),
          table(
            [t.rowLabel, ...t.columns.map(metricTitle)],
            t.rows.map((r) => [
              r.key,
              ...t.columns.map((c) => (r.values[c] === undefined ? '—' : formatValue(r.names[c], r.values[c]))),
            ]),
            { label: t.title, num: t.columns.map((_, i) => i + 1) },
          ),
        ),
      ),
      h(
        'div',
        { class: 'cols' },
        h(
          'section',
          null,
          h('h2', null, 'Versions'),
          facts.versions.length
            ? table(['What', 'Version'], facts.versions, { label: 'Versions' })
            : h('p', { class: 'muted' }, 'No versions reported.'),
        ),
        h(
          'section',
          null,
          h('h2', null, 'Other facts'),
          facts.other.length
            ? table(['Fact', 'Value'], facts.other, { label: 'Facts' })
            : h('p', { class: 'muted' }, 'No other facts.'),
        ),
      ),
    );
  }

  function isolationBox(record) {
    const msg = h('span', { role: 'status' });
    return h(
      'div',
      { class: 'notice' },
      h('strong', null, `Isolated by Keelson since ${when(record.since)}: `),
      record.reason,
      ' ',
      h(
        'button',
        {
          type: 'button',
          class: 'action',
          onClick: async () => {
            if (!(await ensureToken())) return;
            const r = await postJson(`/api/nodes/${encodeURIComponent(id)}/release`, {
              reason: 'released from the dashboard',
            });
            msg.textContent = r.ok ? ' Released.' : ` Release failed: ${r.message}`;
            load();
          },
        },
        'Release',
      ),
      msg,
    );
  }

  return {
    unmount() {
      abort.abort();
      off();
      clearInterval(timer);
      clearTimeout(pending);
    },
  };
}

function findingCard(f, history, now) {
  return h(
    'article',
    { class: `finding sev-${f.severity}`, dataset: { code: f.code } },
    h(
      'div',
      { class: 'head' },
      h(
        'span',
        { class: `badge s-${f.severity === 'info' ? 'info' : f.severity}` },
        h('span', { 'aria-hidden': 'true' }, SEV_SYMBOL[f.severity]),
        f.severity,
      ),
      h('span', { class: 'code mono' }, f.code),
      h('span', { class: 'muted' }, `on ${f.component}`),
      f.sticky ? h('span', { class: 'badge p-unsupported' }, 'until reboot') : null,
    ),
    h('p', null, f.message),
    h('pre', { class: 'evidence', 'aria-label': 'Evidence' }, f.evidence || '(no evidence recorded)'),
    h(
      'dl',
      null,
      h('dt', null, 'Suggested action'),
      h('dd', null, h('strong', null, f.action)),
      h('dt', null, 'Kind'),
      h('dd', null, f.kind),
      h('dt', null, 'First seen'),
      h('dd', null, `${when(f.firstSeen)} (${formatAge(now - f.firstSeen)} ago)`),
      h('dt', null, 'Last seen'),
      h('dd', null, `${when(f.lastSeen)} (${formatAge(now - f.lastSeen)} ago)`),
      h('dt', null, 'Count'),
      h('dd', null, String(f.count)),
    ),
    h(
      'details',
      null,
      h('summary', null, `History (${history.length})`),
      history.length === 0
        ? h('p', { class: 'muted' }, 'No recorded changes.')
        : table(
            ['When', 'Change', 'Severity'],
            history.slice(0, 100).map((e) => [when(e.ts), e.change, e.severity]),
            { label: 'History' },
          ),
    ),
  );
}
