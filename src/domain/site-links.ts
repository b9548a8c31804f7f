// Site hosts: which label a Host names under the site domain, and the URLs of a manifest's preview and
// of an alias, on the scheme and port the client used.

/** Labels of this form are preview hosts (the first 32 hex digits of a manifest id), never alias names. */
const PREVIEW_LABEL = /^[0-9a-f]{32}$/;
const ALIAS_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const PREVIEW_ID_CHARS = 32;

/** 1–63 of a-z, 0-9 and "-", not starting or ending with "-", and not 32 hex digits. */
export function isAliasName(name: string): boolean {
  return ALIAS_NAME.test(name) && !PREVIEW_LABEL.test(name);
}

export function isPreviewLabel(label: string): boolean {
  return PREVIEW_LABEL.test(label);
}

export function previewLabel(manifestId: string): string {
  return manifestId.slice(0, PREVIEW_ID_CHARS);
}

/** Where the client reached the server: the links it is given use the same scheme and port. */
export interface SiteOrigin {
  readonly scheme: string;
  readonly siteDomain: string;
  /** The port of the client's Host header; absent when it named none (the scheme's default). */
  readonly port: string | undefined;
}

export function siteUrl(origin: SiteOrigin, label: string): string {
  return `${origin.scheme}://${label}.${origin.siteDomain}${origin.port ? `:${origin.port}` : ''}/`;
}

export function previewUrlOf(origin: SiteOrigin, manifestId: string): string {
  return siteUrl(origin, previewLabel(manifestId));
}

/** The port of a Host header value ("name:8080", "[::1]:8080"), if it names one. */
export function portOfHost(host: string | undefined): string | undefined {
  const match = host === undefined ? null : /:(\d{1,5})$/.exec(host);
  return match?.[1];
}

/**
 * The site label a Host header names: exactly one label before ".{siteDomain}" (case-insensitive, port
 * ignored); null when the Host is the API's (any other Host, the bare domain included).
 */
export function siteLabelOf(host: string | undefined, siteDomain: string): string | null {
  if (!host) return null;
  const name = host.replace(/:\d{1,5}$/, '').toLowerCase();
  const suffix = `.${siteDomain.toLowerCase()}`;
  if (!name.endsWith(suffix)) return null;
  const label = name.slice(0, -suffix.length);
  return label !== '' && !label.includes('.') && !label.includes('[') ? label : null;
}
