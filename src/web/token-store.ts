// The API token lives in this tab's sessionStorage only: gone when the tab closes, never in a URL or a cookie.

/** The sessionStorage key. */
const TOKEN_KEY = 'presscloud.apiToken';

export function loadToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    // Storage disabled by the browser: the token then lasts as long as the page.
    return undefined;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // As above: signing in still works for this page view.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was stored.
  }
}
