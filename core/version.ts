/** Keelson's release version and the collector's default port: leaf constants any command may read without loading a daemon. */
export const KEELSON_VERSION = '0.1.0';

/** The collector's port for HTTP, the dashboard and the agents' WebSocket. */
export const DEFAULT_COLLECTOR_PORT = 7300;
