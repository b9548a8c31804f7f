// Saves a file of a manifest: fetched with the token in a header (never in a URL), then handed to the browser
// as a download. Never opened in the page: a blob: URL runs with this page's origin and could read the token.
import type { PageApi } from './api.js';

export async function saveFile(api: PageApi, file: { path: string; sha256: string }): Promise<void> {
  // Typed application/octet-stream by downloadBlob: even opened by hand, the browser would not render it.
  const bytes = await api.downloadBlob(file.sha256);
  const url = URL.createObjectURL(bytes);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = file.path.split('/').pop() || 'download';
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has started the download; the URL is revoked once the browser has taken the bytes.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
