// "Sites": the tenant's aliases with their links, a form pointing an alias at a manifest, and a rollback per alias.
import { isPressCloudApiError } from '../client/errors.js';
import type { Alias } from '../api/types.js';
import type { PageApi } from './api.js';
import { listAliases, putAlias, rollbackAlias } from './alias-api.js';
import { byId, h } from './dom.js';
import { formatDate, shortId } from './format.js';

export interface AliasViewOptions {
  api(): PageApi;
}

export class AliasView {
  /** Bumped by each refresh, so a slow answer to an older one is dropped. */
  private generation = 0;

  constructor(private readonly options: AliasViewOptions) {
    byId<HTMLFormElement>('alias-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.point();
    });
  }

  /** Offers the manifest just published in the form. */
  suggest(manifestId: string): void {
    byId<HTMLInputElement>('alias-manifest').value = manifestId;
  }

  clear(): void {
    this.generation++;
    byId('alias-list').replaceChildren();
    this.say('');
  }

  async refresh(): Promise<void> {
    const generation = ++this.generation;
    try {
      const { aliases } = await listAliases(this.options.api());
      if (generation === this.generation) this.render(aliases);
    } catch (err) {
      if (generation !== this.generation) return;
      const message = err instanceof Error ? err.message : String(err);
      byId('alias-list').replaceChildren(h('p', { class: 'inline-error', role: 'alert' }, `The sites could not be listed: ${message}`));
    }
  }

  private async point(): Promise<void> {
    const name = byId<HTMLInputElement>('alias-name').value.trim();
    const manifestId = byId<HTMLInputElement>('alias-manifest').value.trim().toLowerCase();
    await this.act(async () => {
      const set = await putAlias(this.options.api(), name, manifestId);
      return `${set.name} now serves ${shortId(set.manifestId)}`;
    });
  }

  private async rollback(name: string): Promise<void> {
    await this.act(async () => {
      const set = await rollbackAlias(this.options.api(), name);
      return set ? `${name} is back on ${shortId(set.manifestId)}` : `${name} has no earlier manifest to go back to.`;
    });
  }

  private async act(work: () => Promise<string>): Promise<void> {
    try {
      this.say(await work());
      await this.refresh();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.say(isPressCloudApiError(err, 'forbidden') ? `This token cannot publish: ${message}` : message, true);
    }
  }

  private say(message: string, failed = false): void {
    const status = byId('alias-status');
    status.textContent = message;
    status.className = failed ? 'inline-error' : 'hint';
    status.hidden = message === '';
  }

  private render(aliases: readonly Alias[]): void {
    const list = byId('alias-list');
    if (aliases.length === 0) {
      list.replaceChildren(
        h('p', { class: 'empty' }, 'No sites yet. Point an alias at a published folder and it is served at its own address.'),
      );
      return;
    }
    list.replaceChildren(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { 'aria-labelledby': 'aliases-title', id: 'alias-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Site'),
              h('th', { scope: 'col' }, 'Manifest'),
              h('th', { scope: 'col' }, 'Updated'),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
            ),
          ),
          h('tbody', {}, ...aliases.map((alias) => this.row(alias))),
        ),
      ),
    );
  }

  private row(alias: Alias): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-alias': alias.name },
      h(
        'td',
        { 'data-label': 'Site' },
        h('a', { href: alias.url, target: '_blank', rel: 'noopener noreferrer', class: 'site-link' }, alias.url),
      ),
      h('td', { 'data-label': 'Manifest', class: 'mono', title: alias.manifestId }, shortId(alias.manifestId)),
      h('td', { 'data-label': 'Updated' }, formatDate(alias.updatedAt)),
      h(
        'td',
        { class: 'action' },
        h(
          'button',
          {
            type: 'button',
            class: 'button ghost small',
            'aria-label': `Roll back ${alias.name}`,
            onclick: () => void this.rollback(alias.name),
          },
          'Roll back',
        ),
      ),
    );
  }
}
