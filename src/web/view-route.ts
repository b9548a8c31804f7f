// The page's address follows the view: #/manifests/<id> while a manifest is open, nothing for the list. Back,
// Forward and reload then return to the view the address names (once signed in: the token stays in the tab).

const MANIFEST_ROUTE = /^#\/manifests\/([0-9a-f]{64})$/;

/** The manifest the address names, if any. */
export function routedManifest(): string | undefined {
  return MANIFEST_ROUTE.exec(location.hash)?.[1];
}

/** Records the open manifest (or the list, for undefined) as a new history entry, unless the address already says it. */
export function routeTo(manifestId: string | undefined): void {
  if (routedManifest() === manifestId) return;
  if (manifestId) location.hash = `#/manifests/${manifestId}`;
  // The list: the bare address, without a lone "#".
  else history.pushState(null, '', location.pathname + location.search);
}

/** Calls `onRoute` whenever Back or Forward changes the address. */
export function onRouteChange(onRoute: (manifestId: string | undefined) => void): void {
  const changed = () => onRoute(routedManifest());
  window.addEventListener('hashchange', changed);
  window.addEventListener('popstate', changed);
}
