// Jobs: the list, and one job's step time per node (a straggler drawn as its own, heavier
// line), its loss curve, hang/straggler/diagnosis events and checkpoint status. Charts are
// uPlot (served from /ui/vendor/, loaded as a classic script by index.html).
import { getJson } from './api.js';
import { h, onResize, replace, table, when } from './dom.js';
import { formatAge, naturalCompare, recentFirst, stepTimeSeries } from './model.js';

const SEV_CLASS = { fatal: 's-fatal', degraded: 's-degraded', warn: 's-warn', info: 's-info' };
const NOT_ENABLED = 'The training monitor is not enabled on this collector: no job data to show.';

/** @param {HTMLElement} root */
export function mountJobs(root) {
  const abort = new AbortController();
  const body = h('div', { id: 'jobs-body' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('h1', null, 'Jobs'), body);
  const load = async () => {
    const r = await getJson('/api/jobs', abort.signal).catch(() => undefined);
    if (!r || abort.signal.aborted) return;
    if (r.status === 'absent') return replace(body, h('p', { class: 'notice', id: 'jobs-absent' }, NOT_ENABLED));
    if (r.status === 'error') return replace(body, h('p', { class: 'error' }, r.message));
    const jobs = [...(r.data.jobs ?? [])].sort((a, b) => naturalCompare(a.id, b.id));
    const now = Date.now();
    replace(
      body,
      jobs.length === 0
        ? h('p', { class: 'muted' }, 'No training job has reported yet.')
        : table(
            ['Job', 'State', 'Nodes', 'Step', 'Step time', 'Last step'],
            jobs.map((j) => [
              h('a', { href: `#/job/${encodeURIComponent(j.id)}` }, j.name ? `${j.name} (${j.id})` : j.id),
              j.state ?? '—',
              String(j.nodes?.length ?? 0),
              j.step === undefined ? '—' : String(j.step),
              j.stepTimeMs === undefined ? '—' : `${Math.round(j.stepTimeMs)} ms`,
              j.lastStepAt ? `${formatAge(now - j.lastStepAt)} ago` : '—',
            ]),
            { label: 'Jobs', num: [2, 3, 4] },
          ),
    );
  };
  const timer = setInterval(load, 5000);
  load();
  return {
    unmount() {
      abort.abort();
      clearInterval(timer);
    },
  };
}

/** @param {HTMLElement} root @param {{ route: { id: string } }} ctx */
export function mountJob(root, ctx) {
  const id = ctx.route.id;
  const abort = new AbortController();
  const body = h('div', { id: 'job-body' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('p', null, h('a', { href: '#/jobs' }, '← Jobs')), h('h1', null, `Job ${id}`), body);
  let charts = [];
  let lastData;

  const load = async () => {
    const r = await getJson(`/api/jobs/${encodeURIComponent(id)}`, abort.signal).catch(() => undefined);
    if (!r || abort.signal.aborted) return;
    if (r.status === 'absent') {
      const list = await getJson('/api/jobs', abort.signal).catch(() => undefined);
      const msg = list?.status === 'absent' ? NOT_ENABLED : `No job called “${id}” is known to the collector.`;
      return replace(body, h('p', { class: 'notice', id: 'job-absent' }, msg));
    }
    if (r.status === 'error') return replace(body, h('p', { class: 'error' }, r.message));
    lastData = r.data;
    draw(r.data);
  };
  const timer = setInterval(load, 5000);
  const stopResize = onResize(() => lastData && draw(lastData));
  load();

  function draw(d) {
    for (const c of charts) c.destroy();
    charts = [];
    const job = d.job ?? {};
    const steps = stepTimeSeries(d.stepTimes, d.stragglers);
    const stepEl = h('div', {
      class: 'chart',
      id: 'chart-steps',
      role: 'img',
      'aria-label': `Step time per node for job ${id}`,
    });
    const lossEl = h('div', { class: 'chart', id: 'chart-loss', role: 'img', 'aria-label': `Loss for job ${id}` });
    const stragglers = d.stragglers ?? [];
    replace(
      body,
      h(
        'div',
        { class: 'panel' },
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, 'State'),
          h('dd', null, job.state ?? '—'),
          h('dt', null, 'Nodes'),
          h(
            'dd',
            null,
            (job.nodes ?? []).map((n, i) => [i ? ', ' : '', h('a', { href: `#/node/${encodeURIComponent(n)}` }, n)]),
          ),
          h('dt', null, 'Step'),
          h('dd', null, job.step === undefined ? '—' : String(job.step)),
          h('dt', null, 'Last step'),
          h(
            'dd',
            null,
            job.lastStepAt ? `${when(job.lastStepAt)} (${formatAge(Date.now() - job.lastStepAt)} ago)` : '—',
          ),
        ),
      ),
      h('h2', null, 'Step time per node'),
      stragglers.length
        ? h(
            'p',
            { class: 'legend-note', id: 'stragglers' },
            h('strong', null, 'Straggler(s), drawn as thick dashed lines: '),
            stragglers.join(', '),
          )
        : h('p', { class: 'legend-note muted' }, 'No straggler flagged.'),
      steps.data[0].length ? stepEl : h('p', { class: 'muted' }, 'No step times yet.'),
      h('h2', null, 'Loss'),
      (d.loss?.t ?? []).length ? lossEl : h('p', { class: 'muted' }, 'No loss reported.'),
      h('h2', null, 'Checkpoints'),
      checkpointPart(d.checkpoint),
      h('h2', null, 'Events'),
      (d.events ?? []).length === 0
        ? h('p', { class: 'muted' }, 'No hang, straggler or diagnosis events.')
        : table(
            ['When', 'Kind', 'Severity', 'Node', 'Message'],
            recentFirst(d.events, 200).map((e) => [
              when(e.ts),
              e.kind,
              e.severity ? h('span', { class: `badge ${SEV_CLASS[e.severity] ?? ''}` }, e.severity) : '—',
              e.node
                ? h(
                    'a',
                    { href: `#/node/${encodeURIComponent(e.node)}` },
                    e.rank === undefined ? e.node : `${e.node} (rank ${e.rank})`,
                  )
                : '—',
              [
                e.code ? h('span', { class: 'mono' }, `${e.code}: `) : null,
                e.message ?? '',
                e.evidence ? h('pre', { class: 'evidence' }, e.evidence) : null,
              ],
            ]),
            { label: 'Job events' },
          ),
    );
    const uPlot = window.uPlot;
    if (!uPlot) return;
    const width = Math.max(300, body.clientWidth - 8);
    if (steps.data[0].length) {
      charts.push(
        new uPlot(
          {
            width,
            height: 280,
            scales: { x: { time: true } },
            legend: { show: steps.labels.length <= 16 },
            series: [
              {},
              ...steps.labels.map((label, i) => ({
                label: steps.straggler[i] ? `${label} — straggler` : label,
                stroke: steps.straggler[i] ? '#c2410c' : 'rgba(31, 78, 140, 0.45)',
                width: steps.straggler[i] ? 3 : 1,
                points: { show: false },
                ...(steps.straggler[i] ? { dash: [10, 5] } : {}),
                value: (_, v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`),
              })),
            ],
            axes: [{}, { label: 'step time (ms)', size: 60 }],
          },
          steps.data,
          stepEl,
        ),
      );
    }
    if ((d.loss?.t ?? []).length) {
      charts.push(
        new uPlot(
          {
            width,
            height: 220,
            scales: { x: { time: true } },
            series: [{}, { label: 'loss', stroke: '#1f4e8c', width: 2, points: { show: false } }],
            axes: [{}, { label: 'loss', size: 60 }],
          },
          [d.loss.t.map((t) => t / 1000), d.loss.values],
          lossEl,
        ),
      );
    }
  }

  return {
    unmount() {
      abort.abort();
      clearInterval(timer);
      stopResize();
      for (const c of charts) c.destroy();
    },
  };
}

function checkpointPart(c) {
  if (!c) return h('p', { class: 'muted' }, 'No checkpoint reported for this job.');
  return h(
    'div',
    { id: 'checkpoint' },
    h(
      'p',
      null,
      c.committedStep === undefined
        ? 'No step committed yet.'
        : [h('strong', null, `Committed step ${c.committedStep}`), c.committedAt ? ` at ${when(c.committedAt)}` : ''],
    ),
    table(
      ['Tier', 'Newest step', 'Newest complete', 'Flush', 'State'],
      (c.tiers ?? []).map((t) => [
        t.tier,
        t.newestStep === undefined ? '—' : String(t.newestStep),
        t.newestCompleteStep === undefined ? '—' : String(t.newestCompleteStep),
        t.flush
          ? h(
              'span',
              null,
              h('progress', { max: String(t.flush.totalBytes || 1), value: String(t.flush.doneBytes ?? 0) }),
              ` step ${t.flush.step}: ${Math.round((100 * (t.flush.doneBytes ?? 0)) / (t.flush.totalBytes || 1))} %, ${t.flush.nodesDone ?? 0}/${t.flush.nodesTotal ?? '?'} nodes`,
            )
          : '—',
        t.paused ? h('span', { class: 'badge s-warn' }, `paused: ${t.paused}`) : 'ok',
      ]),
      { label: 'Checkpoint tiers', num: [1, 2] },
    ),
  );
}
