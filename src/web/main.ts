// The browser page's entry: signing in and out, and the two cards (publish, browse) once signed in.
import { PressCloudNetworkError, isPressCloudApiError } from '../client/errors.js';
import { PageApi } from './api.js';
import { AliasView } from './alias-view.js';
import { BrowseView } from './browse-view.js';
import { byId } from './dom.js';
import { PublishView } from './publish-view.js';
import { forgetToken, loadToken, saveToken } from './token-store.js';

let api: PageApi | undefined;

const currentApi = (): PageApi => {
  if (!api) throw new Error('Not signed in.');
  return api;
};

const browse = new BrowseView({ api: currentApi, onUnauthorized: (message) => signOut(message) });
const aliases = new AliasView({ api: currentApi });
const publish = new PublishView({
  api: currentApi,
  onPublished: (result) => {
    aliases.suggest(result.manifestId);
    void browse.refresh();
  },
  onOpenManifest: (manifestId) => void browse.open(manifestId),
});

byId<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(byId<HTMLInputElement>('token').value.trim());
});
byId('sign-out').addEventListener('click', () => signOut());

const saved = loadToken();
if (saved) enter(new PageApi(saved));
else showSignIn();

/** The token is checked by listing manifests: a 401 is the API's refusal; a 403 (no `read` scope) still signs in. */
async function signIn(token: string): Promise<void> {
  const button = byId<HTMLButtonElement>('sign-in-button');
  if (token === '') {
    showTokenError('Paste an API token to sign in.');
    return;
  }
  button.disabled = true;
  button.textContent = 'Signing in…';
  const candidate = new PageApi(token);
  try {
    await candidate.listManifests({ limit: 1 });
  } catch (err) {
    if (!isPressCloudApiError(err, 'forbidden')) {
      showTokenError(err instanceof PressCloudNetworkError || isPressCloudApiError(err) ? err.message : String(err));
      return;
    }
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
  saveToken(token);
  enter(candidate);
}

function enter(signedIn: PageApi): void {
  api = signedIn;
  byId('sign-in').hidden = true;
  byId('workspace').hidden = false;
  byId('account').hidden = false;
  byId<HTMLInputElement>('token').value = '';
  clearTokenError();
  publish.reset();
  void browse.refresh();
  void aliases.refresh();
  byId('publish-title').focus();
  void browse.restore();
}

function signOut(message?: string): void {
  api = undefined;
  forgetToken();
  publish.reset();
  browse.clear();
  aliases.clear();
  showSignIn();
  if (message) showTokenError(message);
}

function showSignIn(): void {
  byId('workspace').hidden = true;
  byId('account').hidden = true;
  byId('sign-in').hidden = false;
  byId('token').focus();
}

function showTokenError(message: string): void {
  const error = byId('token-error');
  error.textContent = message;
  error.hidden = false;
  byId('token').setAttribute('aria-invalid', 'true');
  byId('token').focus();
}

function clearTokenError(): void {
  byId('token-error').hidden = true;
  byId('token').removeAttribute('aria-invalid');
}
