// Talking to the collector's REST API: GETs for the views (an absent endpoint is reported as
// such, not as an error), POSTs for actions carrying the operator token as a bearer token.
// The token lives in sessionStorage: typed once per tab, gone when the tab closes.

const TOKEN_KEY = 'keelson.operatorToken';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * GET a JSON endpoint.
 * @returns {Promise<{ status: 'ok', data: any } | { status: 'absent', message: string } | { status: 'error', message: string, code?: string }>}
 *   'absent' is a 404: the endpoint (or the thing asked for) is not there.
 */
export async function getJson(path, signal) {
  let res;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    return { status: 'error', message: `cannot reach the collector (${err?.message ?? err})` };
  }
  const body = await res.json().catch(() => undefined);
  if (res.status === 404) return { status: 'absent', message: body?.error?.message ?? 'not found' };
  if (!res.ok)
    return { status: 'error', code: body?.error?.code, message: body?.error?.message ?? `HTTP ${res.status}` };
  return { status: 'ok', data: body };
}

/**
 * POST JSON with the operator token.
 * @returns {Promise<{ ok: boolean, status: number, data?: any, code?: string, message?: string }>}
 */
export async function postJson(path, body) {
  const token = getToken();
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body ?? {}),
    });
  } catch (err) {
    return { ok: false, status: 0, message: `cannot reach the collector (${err?.message ?? err})` };
  }
  const data = await res.json().catch(() => undefined);
  if (res.ok) return { ok: true, status: res.status, data };
  return {
    ok: false,
    status: res.status,
    code: data?.error?.code,
    message: data?.error?.message ?? `HTTP ${res.status}`,
  };
}

/** Ask the collector whether a token is accepted: true, false, or undefined when it cannot say. */
export async function checkToken(token) {
  try {
    const res = await fetch('/ui/auth-check', { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) return true;
    if (res.status === 401) return false;
    return undefined;
  } catch {
    return undefined;
  }
}
