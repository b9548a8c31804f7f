// One manifest: its id, a `presscloud pull` command line for it, and its files, each downloadable.
import type { Manifest, ManifestFile } from '../api/types.js';
import type { PageApi } from './api.js';
import { copyField } from './clipboard.js';
import { byId, facts, h } from './dom.js';
import { saveFile } from './download.js';
import { counted, formatBytes, formatDate, shortId } from './format.js';

/** Rows drawn at first; a manifest can hold 100,000 files, which the button after them draws on demand. */
const FIRST_ROWS = 500;

export interface ManifestViewOptions {
  api(): PageApi;
  onBack(): void;
}

export class ManifestView {
  private shown: string | undefined;
  private filter = '';

  constructor(private readonly options: ManifestViewOptions) {}

  async show(manifestId: string): Promise<void> {
    this.shown = manifestId;
    const view = byId('manifest-view');
    const back = h('button', { type: 'button', class: 'button ghost small back' }, '← All published folders');
    back.addEventListener('click', () => this.options.onBack());
    const title = h('h2', { id: 'manifest-title', tabindex: -1 }, `Manifest ${shortId(manifestId)}`);
    this.filter = '';
    view.replaceChildren(h('div', { class: 'manifest-head' }, back, title), h('p', { class: 'loading', role: 'status' }, 'Loading files…'));
    title.focus();
    let manifest: Manifest;
    try {
      manifest = await this.options.api().getManifest(manifestId);
    } catch (err) {
      if (this.shown !== manifestId) return;
      view.replaceChildren(
        view.firstChild as Node,
        h('p', { class: 'inline-error', role: 'alert' }, err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    if (this.shown !== manifestId) return;
    if (manifest.label) title.textContent = manifest.label;
    view.replaceChildren(
      h(
        'div',
        { class: 'manifest-head' },
        back,
        title,
        copyField({ id: 'manifest-id', label: 'Manifest id', value: manifest.manifestId }),
        facts([
          ['Manifest', shortId(manifest.manifestId)],
          ['Published', formatDate(manifest.createdAt)],
          ['Files', manifest.fileCount.toLocaleString('en')],
          ['Total size', formatBytes(manifest.totalBytes)],
        ]),
        copyField({
          id: 'pull-command',
          label: 'Download it all with the command line',
          value: pullCommand(manifest.manifestId),
          multiline: true,
        }),
        h('p', { class: 'inline-error', id: 'download-error', role: 'alert', hidden: true }),
      ),
      this.fileTable(manifest.files),
    );
  }

  private fileTable(all: readonly ManifestFile[]): HTMLElement {
    const search = h('input', {
      type: 'search',
      id: 'file-filter',
      class: 'filter',
      placeholder: 'Filter by path',
      'aria-label': 'Filter files by path',
      'aria-controls': 'file-table',
    }) as HTMLInputElement;
    const count = h('p', { class: 'filter-count', role: 'status' });
    const holder = h('div', {});
    const draw = () => {
      this.filter = search.value;
      const needle = search.value.trim().toLowerCase();
      const files = needle === '' ? all : all.filter((file) => file.path.toLowerCase().includes(needle));
      count.textContent = needle === '' ? '' : `${counted(files.length, 'file')} of ${all.length.toLocaleString('en')} match`;
      holder.replaceChildren(this.filesOf(files));
    };
    search.value = this.filter;
    search.addEventListener('input', draw);
    draw();
    return h('div', {}, h('div', { class: 'filter-row' }, search, count), holder);
  }

  private filesOf(files: readonly ManifestFile[]): HTMLElement {
    const body = h('tbody');
    const wrap = h(
      'div',
      {},
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { 'aria-label': 'Files', id: 'file-table', class: 'files' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Path'),
              h('th', { scope: 'col', class: 'num' }, 'Size'),
              h('th', { scope: 'col' }, 'Type'),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Download')),
            ),
          ),
          body,
        ),
      ),
    );
    body.append(...files.slice(0, FIRST_ROWS).map((file) => this.row(file)));
    if (files.length > FIRST_ROWS) {
      const rest = h('button', { type: 'button', class: 'button secondary' }, `Show all ${counted(files.length, 'file')}`);
      rest.addEventListener('click', () => {
        body.append(...files.slice(FIRST_ROWS).map((file) => this.row(file)));
        rest.parentElement?.remove();
      });
      wrap.append(
        h(
          'div',
          { class: 'list-footer' },
          h('span', {}, `Showing ${FIRST_ROWS.toLocaleString('en')} of ${counted(files.length, 'file')}`),
          rest,
        ),
      );
    }
    return wrap;
  }

  private row(file: ManifestFile): HTMLTableRowElement {
    const download = h('button', { type: 'button', class: 'button secondary small', 'aria-label': `Download ${file.path}` }, 'Download');
    download.addEventListener('click', () => void this.download(file, download));
    return h(
      'tr',
      {},
      h('td', { class: 'path', 'data-label': 'Path' }, file.path),
      h('td', { class: 'num', 'data-label': 'Size' }, formatBytes(file.size)),
      h('td', { class: 'type', 'data-label': 'Type' }, file.mime ?? '—'),
      h('td', { class: 'action' }, download),
    );
  }

  private async download(file: ManifestFile, button: HTMLButtonElement): Promise<void> {
    const error = byId('download-error');
    error.hidden = true;
    button.disabled = true;
    button.textContent = 'Downloading…';
    try {
      await saveFile(this.options.api(), file);
    } catch (err) {
      error.textContent = `${file.path} could not be downloaded: ${err instanceof Error ? err.message : String(err)}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = 'Download';
    }
  }
}

/** The token is left to an environment variable: a command line copied with it would end up in shell history. */
function pullCommand(manifestId: string): string {
  return `presscloud pull ${manifestId} ./${manifestId.slice(0, 12)} --url ${location.origin} --token "$PRESSCLOUD_TOKEN"`;
}
