// The operator token dialog: asked for once per tab when an action needs it, checked against
// the collector when it can say, kept in sessionStorage (api.js).
import { checkToken, getToken, setToken } from './api.js';

/** Resolve with true once a token is stored (asking for one if none is), false if the operator cancels. */
export async function ensureToken() {
  if (getToken()) return true;
  return askToken();
}

/** Open the dialog; resolves true when a token was saved. */
export function askToken(message = '') {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('token-dialog'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('token-input'));
  const note = document.getElementById('token-note');
  note.textContent = message;
  input.value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    const onClose = async () => {
      dialog.removeEventListener('close', onClose);
      if (dialog.returnValue !== 'save' || !input.value.trim()) return resolve(false);
      const token = input.value.trim();
      const ok = await checkToken(token);
      if (ok === false) {
        resolve(await askToken('The collector did not accept that token.'));
        return;
      }
      setToken(token);
      document.dispatchEvent(new CustomEvent('keelson-token'));
      resolve(true);
    };
    dialog.addEventListener('close', onClose);
  });
}

/** Forget the token (the header's "sign out"). */
export function clearToken() {
  setToken('');
  document.dispatchEvent(new CustomEvent('keelson-token'));
}
