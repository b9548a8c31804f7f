// "Published folders": the tenant's manifests, newest first, a page at a time (GET /v1/manifests).
import { isPressCloudApiError } from '../client/errors.js';
import type { ManifestSummary } from '../api/types.js';
import type { PageApi } from './api.js';
import { byId, h } from './dom.js';
import { counted, formatBytes, formatDate, shortId } from './format.js';
import { ManifestView } from './manifest-view.js';
import { onRouteChange, routedManifest, routeTo } from './view-route.js';

const PAGE_SIZE = 20;

export interface BrowseViewOptions {
  api(): PageApi;
  /** The token was refused (revoked meanwhile): back to signing in, with the API's message. */
  onUnauthorized(message: string): void;
}

export class BrowseView {
  private manifests: ManifestSummary[] = [];
  private nextCursor: string | undefined;
  /** Bumped by each refresh, so a slow answer to an older one is dropped. */
  private generation = 0;
  private readonly detail: ManifestView;

  constructor(private readonly options: BrowseViewOptions) {
    this.detail = new ManifestView({ api: options.api, onBack: () => this.back() });
    byId('refresh').addEventListener('click', () => void this.refresh());
    onRouteChange((manifestId) => void this.follow(manifestId));
  }

  /** After signing in: the view the address names (a reload of an open manifest reopens it). */
  async restore(): Promise<void> {
    await this.follow(routedManifest());
  }

  private async follow(manifestId: string | undefined): Promise<void> {
    if (byId('workspace').hidden) return;
    if (manifestId) await this.open(manifestId);
    else this.showList(false);
  }

  private back(): void {
    routeTo(undefined);
    this.showList(true);
  }

  async refresh(): Promise<void> {
    const generation = ++this.generation;
    this.manifests = [];
    this.nextCursor = undefined;
    byId('manifest-list').replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
    await this.loadPage(generation);
  }

  async open(manifestId: string): Promise<void> {
    routeTo(manifestId);
    byId('manifest-list-view').hidden = true;
    byId('manifest-view').hidden = false;
    byId('browse').scrollIntoView({ block: 'start' });
    await this.detail.show(manifestId);
  }

  clear(): void {
    this.generation++;
    this.manifests = [];
    byId('manifest-list').replaceChildren();
    this.showList(false);
  }

  private showList(focus: boolean): void {
    byId('manifest-view').hidden = true;
    byId('manifest-list-view').hidden = false;
    if (focus) byId('browse-title').focus();
  }

  private async loadPage(generation: number): Promise<void> {
    try {
      const page = await this.options.api().listManifests({ limit: PAGE_SIZE, cursor: this.nextCursor });
      if (generation !== this.generation) return;
      this.manifests.push(...page.manifests);
      this.nextCursor = page.nextCursor;
      this.render();
    } catch (err) {
      if (generation !== this.generation) return;
      if (isPressCloudApiError(err) && err.status === 401) {
        this.options.onUnauthorized(err.message);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const prefix = isPressCloudApiError(err, 'forbidden')
        ? 'This token cannot list what was published: '
        : 'The list could not be loaded: ';
      byId('manifest-list').replaceChildren(h('p', { class: 'inline-error', role: 'alert' }, prefix + message));
    }
  }

  private render(): void {
    const list = byId('manifest-list');
    if (this.manifests.length === 0) {
      list.replaceChildren(h('p', { class: 'empty' }, 'Nothing published yet. Drop a folder above and it will show up here.'));
      return;
    }
    const more = h('button', { type: 'button', class: 'button secondary', id: 'show-more' }, 'Show more');
    more.addEventListener('click', () => {
      more.disabled = true;
      more.textContent = 'Loading…';
      const firstNew = this.manifests.length;
      // Keyboard users land on the first row that came in, not back at the top of the page.
      void this.loadPage(this.generation).then(() =>
        byId('manifest-list').querySelectorAll<HTMLElement>('tbody .id-button')[firstNew]?.focus(),
      );
    });
    list.replaceChildren(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { 'aria-labelledby': 'browse-title' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Manifest'),
              h('th', { scope: 'col' }, 'Label'),
              h('th', { scope: 'col' }, 'Published'),
              h('th', { scope: 'col', class: 'num' }, 'Files'),
              h('th', { scope: 'col', class: 'num' }, 'Size'),
            ),
          ),
          h('tbody', {}, ...this.manifests.map((manifest) => this.row(manifest))),
        ),
      ),
      h(
        'div',
        { class: 'list-footer' },
        h('span', { id: 'list-count' }, `Showing ${counted(this.manifests.length, 'manifest')}${this.nextCursor ? '' : ', all of them'}`),
        this.nextCursor ? more : null,
      ),
    );
  }

  private row(manifest: ManifestSummary): HTMLTableRowElement {
    const open = h(
      'button',
      { type: 'button', class: 'button link id-button', title: manifest.manifestId, 'aria-label': `Open manifest ${manifest.manifestId}` },
      shortId(manifest.manifestId),
    );
    open.addEventListener('click', () => void this.open(manifest.manifestId));
    return h(
      'tr',
      {},
      h('td', { 'data-label': 'Manifest' }, open),
      h('td', { 'data-label': 'Label', class: 'manifest-label' }, manifest.label ?? '—'),
      h('td', { 'data-label': 'Published' }, formatDate(manifest.createdAt)),
      h('td', { 'data-label': 'Files', class: 'num' }, manifest.fileCount.toLocaleString('en')),
      h('td', { 'data-label': 'Size', class: 'num' }, formatBytes(manifest.totalBytes)),
    );
  }
}
