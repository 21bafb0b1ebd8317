// The dashboard's entry: the live tile feed, the hash router (#/, #/node/<id>, #/jobs,
// #/job/<id>, #/isolation, #/incidents, #/incident/<id>), the header (navigation, live
// status, operator token).
import { getToken } from './api.js';
import { mountFleet } from './fleet-view.js';
import { incidentRoute } from './incidents-model.js';
import { mountIncident, mountIncidents } from './incidents-view.js';
import { mountIsolation } from './isolation-view.js';
import { mountJob, mountJobs } from './job-view.js';
import { LiveTiles } from './live.js';
import { parseRoute } from './model.js';
import { mountNode } from './node-view.js';
import { askToken, clearToken } from './token.js';

const VIEWS = {
  fleet: mountFleet,
  node: mountNode,
  jobs: mountJobs,
  job: mountJob,
  isolation: mountIsolation,
  incidents: mountIncidents,
  incident: mountIncident,
};
const TITLES = {
  fleet: 'Fleet',
  node: 'Node',
  jobs: 'Jobs',
  job: 'Job',
  isolation: 'Isolation',
  incidents: 'Incidents',
  incident: 'Incident',
};

const live = new LiveTiles();
const main = document.getElementById('main');
const liveEl = document.getElementById('live');
const tokenBtn = document.getElementById('token-button');
let current;

live.onStatus((up) => {
  liveEl.dataset.state = up ? 'up' : 'down';
  liveEl.textContent = up ? '● live' : '○ reconnecting…';
});

function showTokenState() {
  tokenBtn.textContent = getToken() ? 'Operator: signed in (sign out)' : 'Operator token…';
}
tokenBtn.addEventListener('click', () => (getToken() ? clearToken() : askToken()));
document.addEventListener('keelson-token', showTokenState);
showTokenState();

function route() {
  const r = incidentRoute(location.hash) ?? parseRoute(location.hash);
  current?.unmount?.();
  main.replaceChildren();
  for (const a of document.querySelectorAll('header nav a')) {
    const active =
      a.dataset.view === r.view ||
      (a.dataset.view === 'jobs' && r.view === 'job') ||
      (a.dataset.view === 'incidents' && r.view === 'incident');
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${TITLES[r.view]}${r.id ? ` ${r.id}` : ''} — Keelson`;
  current = VIEWS[r.view](main, { live, route: r });
  if (r.view !== 'fleet') main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? '')) {
    const s = document.getElementById('fleet-search');
    if (s) {
      e.preventDefault();
      s.focus();
    }
  }
});
live.connect();
route();
