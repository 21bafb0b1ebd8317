// Isolation: the breaker's state, nodes Keelson has isolated (with Release), isolations
// waiting for an operator (Approve / Reject), the audit log, and firing alerts. Actions are
// POSTs with the operator token; without the isolation engine the page says so.
import { getJson, postJson } from './api.js';
import { h, replace, table, when } from './dom.js';
import { formatAge, recentFirst } from './model.js';
import { askToken, ensureToken } from './token.js';

/** @param {HTMLElement} root */
export function mountIsolation(root) {
  const abort = new AbortController();
  const body = h('div', { id: 'isolation-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const flash = h('p', { id: 'isolation-flash', role: 'status', 'aria-live': 'polite' });
  replace(root, h('h1', null, 'Isolation'), flash, body);

  const load = async () => {
    const [iso, alerts] = await Promise.all([
      getJson('/api/isolation', abort.signal),
      getJson('/api/alerts', abort.signal),
    ]).catch(() => []);
    if (!iso || abort.signal.aborted) return;
    draw(iso, alerts);
  };
  const timer = setInterval(load, 5000);
  load();

  /** Run an action with the token; a refused token is asked for again once. */
  async function act(label, path, payload) {
    if (!(await ensureToken())) return;
    let r = await postJson(path, payload);
    if (r.status === 401 && (await askToken('The collector refused the stored token; enter it again.'))) {
      r = await postJson(path, payload);
    }
    flash.className = r.ok ? 'notice' : 'error';
    flash.textContent = r.ok ? `${label}: done.` : `${label} failed: ${r.message}${r.code ? ` (${r.code})` : ''}`;
    await load();
  }

  function draw(iso, alerts) {
    const now = Date.now();
    const alertPart = alertsSection(alerts);
    if (iso.status === 'absent') {
      replace(
        body,
        h(
          'p',
          { class: 'notice', id: 'isolation-absent' },
          'The isolation engine is not enabled on this collector: there is no audit log, breaker or isolated node to show.',
        ),
        alertPart,
      );
      return;
    }
    if (iso.status === 'error') return replace(body, h('p', { class: 'error' }, iso.message), alertPart);
    const d = iso.data;
    const b = d.breaker ?? {};
    replace(
      body,
      h(
        'div',
        { class: 'panel', id: 'breaker' },
        h('h2', null, 'Breaker'),
        h(
          'p',
          null,
          b.tripped
            ? h(
                'span',
                { class: 'badge s-fatal', id: 'breaker-state' },
                h('span', { 'aria-hidden': 'true' }, '✖'),
                'TRIPPED — automatic isolation stopped',
              )
            : h(
                'span',
                { class: 'badge s-ok', id: 'breaker-state' },
                h('span', { 'aria-hidden': 'true' }, '✓'),
                'closed — isolation allowed',
              ),
          ' ',
          `${b.used ?? 0} of ${b.cap ?? '?'} isolations used in the last ${formatAge(b.windowMs)} (fleet of ${b.fleetSize ?? '?'}; at most ${Math.round((b.maxFraction ?? 0) * 100)} % or ${b.maxNodes ?? '?'} nodes)`,
        ),
        b.tripped ? h('p', null, `Tripped ${when(b.trippedAt)}: ${b.trippedWhy ?? ''}`) : null,
        d.mode ? h('p', { class: 'muted' }, `Mode: ${d.mode}`) : null,
      ),
      h('h2', null, `Isolated nodes (${(d.isolated ?? []).length})`),
      (d.isolated ?? []).length === 0
        ? h('p', { class: 'muted' }, 'Keelson holds no node isolated.')
        : table(
            ['Node', 'Since', 'Reason', 'Finding', ''],
            d.isolated.map((r) => [
              h('a', { href: `#/node/${encodeURIComponent(r.node)}` }, r.node),
              `${when(r.since)} (${formatAge(now - r.since)} ago)`,
              r.reason,
              h('span', { class: 'mono' }, r.code ?? ''),
              h(
                'button',
                {
                  type: 'button',
                  class: 'action',
                  dataset: { release: r.node },
                  onClick: () =>
                    act(`Release ${r.node}`, `/api/nodes/${encodeURIComponent(r.node)}/release`, {
                      reason: 'released from the dashboard',
                    }),
                },
                'Release',
              ),
            ]),
            { label: 'Isolated nodes' },
          ),
      h('h2', null, `Waiting for approval (${(d.pending ?? []).length})`),
      (d.pending ?? []).length === 0
        ? h('p', { class: 'muted' }, 'Nothing is waiting for an operator.')
        : table(
            ['Node', 'Asked', 'Why', 'Finding', 'Evidence', ''],
            d.pending.map((p) => [
              h('a', { href: `#/node/${encodeURIComponent(p.node)}` }, p.node),
              `${formatAge(now - p.createdAt)} ago`,
              `${p.reason} (${p.cause === 'breaker' ? 'breaker tripped' : 'approve-first'})`,
              h('span', { class: 'mono' }, p.code),
              h('pre', { class: 'evidence' }, p.evidence),
              h(
                'span',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'action',
                    dataset: { approve: p.id },
                    onClick: () =>
                      act(`Approve ${p.node}`, `/api/approvals/${encodeURIComponent(p.id)}`, { decision: 'approve' }),
                  },
                  'Approve',
                ),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'action',
                    dataset: { reject: p.id },
                    onClick: () =>
                      act(`Reject ${p.node}`, `/api/approvals/${encodeURIComponent(p.id)}`, { decision: 'reject' }),
                  },
                  'Reject',
                ),
              ),
            ]),
            { label: 'Pending approvals' },
          ),
      alertPart,
      h('h2', null, 'Audit log'),
      (d.audit ?? []).length === 0
        ? h('p', { class: 'muted' }, 'No decisions recorded yet.')
        : table(
            ['When', 'Kind', 'Node', 'What', 'Why', 'Who', 'Result'],
            recentFirst(d.audit, 200).map((a) => [
              when(a.ts),
              a.kind,
              a.node ? h('a', { href: `#/node/${encodeURIComponent(a.node)}` }, a.node) : '—',
              a.what,
              a.why,
              a.who,
              a.result,
            ]),
            { label: 'Audit log' },
          ),
    );
  }

  return {
    unmount() {
      abort.abort();
      clearInterval(timer);
    },
  };
}

function alertsSection(alerts) {
  const head = h('h2', null, 'Firing alerts');
  if (!alerts || alerts.status === 'absent')
    return h(
      'section',
      { id: 'alerts' },
      head,
      h('p', { class: 'notice' }, 'Alerting is not enabled on this collector.'),
    );
  if (alerts.status === 'error')
    return h('section', { id: 'alerts' }, head, h('p', { class: 'error' }, alerts.message));
  const firing = (alerts.data.alerts ?? []).filter((a) => a.state !== 'resolved');
  return h(
    'section',
    { id: 'alerts' },
    head,
    firing.length === 0
      ? h('p', { class: 'muted' }, 'No alert is firing.')
      : table(
          ['Since', 'Alert', 'Node', 'Severity', 'Summary'],
          firing.map((a) => [
            when(Date.parse(a.startsAt)),
            a.labels?.alertname ?? '',
            a.labels?.node ? h('a', { href: `#/node/${encodeURIComponent(a.labels.node)}` }, a.labels.node) : '—',
            a.labels?.severity ?? '',
            a.annotations?.summary ?? '',
          ]),
          { label: 'Firing alerts' },
        ),
  );
}
