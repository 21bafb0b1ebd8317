// The live tile feed from /ws/ui: keeps the tile table current and reconnects with backoff.
// Every message goes through model.applyUiMessage; listeners hear which tiles changed.
import { applyUiMessage } from './model.js';

export class LiveTiles {
  constructor() {
    /** @type {Map<string, import('./model.d.ts').Tile>} */
    this.table = new Map();
    /** Whether a snapshot has arrived since the page loaded. */
    this.ready = false;
    this.connected = false;
    this.listeners = new Set();
    this.statusListeners = new Set();
    this.retryMs = 500;
    this.ws = undefined;
  }

  /** Listen for changes: fn({ full, changed, before }) where `before` holds the replaced tiles. */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn) {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws/ui`);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.setConnected(true);
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      const before = new Map();
      if (msg.type === 'delta') for (const t of msg.upsert) before.set(t.id, this.table.get(t.id));
      if (msg.type === 'delta') for (const id of msg.remove) before.set(id, this.table.get(id));
      const r = applyUiMessage(this.table, msg);
      if (msg.type === 'snapshot') this.ready = true;
      if (r.changed.length > 0 || r.full) for (const fn of this.listeners) fn({ ...r, before });
    };
    ws.onclose = () => {
      this.setConnected(false);
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  setConnected(v) {
    this.connected = v;
    for (const fn of this.statusListeners) fn(v);
  }
}
