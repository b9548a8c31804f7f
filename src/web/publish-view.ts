// The "Publish a folder" card: the drop zone and folder picker, the progress of a publish with its cancel
// button, and how it ended (the manifest id, or what failed).
import type { PageApi } from './api.js';
import { copyField } from './clipboard.js';
import { byId, facts, h } from './dom.js';
import type { Child } from './dom.js';
import { entriesOfDrop, folderFromEntries, folderFromInput } from './folder.js';
import type { PickedFolder } from './folder.js';
import type { SkippedFile } from './folder-rules.js';
import { counted, formatBytes } from './format.js';
import { HashPool } from './hash-pool.js';
import { ProgressView } from './progress-view.js';
import { PublishFailedError, publishFolder } from './publish.js';
import type { FileFailure, PublishResult } from './publish.js';

/** Files hashed at once: one worker per spare core, a few at most (reading the disk is the other limit). */
const HASH_WORKERS = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
const WORKER_URL = '/web/hash-worker.js';

export interface PublishViewOptions {
  api(): PageApi;
  onPublished(result: PublishResult): void;
  onOpenManifest(manifestId: string): void;
}

/** The browser hides symlinks from a page, so it cannot list those `presscloud push` reports or follows. */
function symlinkNote(): HTMLElement {
  return h(
    'p',
    { class: 'hint', id: 'symlink-note' },
    'Symlinks are not listed: the browser shows the page no symlink, neither the link nor its target as a link. ',
    h('code', {}, 'presscloud push'),
    ' follows a symlink that stays inside the folder and reports the others.',
  );
}

export class PublishView {
  private running: AbortController | undefined;
  private dragDepth = 0;

  constructor(private readonly options: PublishViewOptions) {
    const input = byId<HTMLInputElement>('folder-input');
    byId('choose-folder').addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      if (input.files && input.files.length > 0) void this.publish(folderFromInput(input.files));
      // Cleared so that picking the same folder again publishes it again.
      input.value = '';
    });
    byId('cancel').addEventListener('click', () => this.running?.abort(new DOMException('Cancelled', 'AbortError')));
    this.listenForDrops(byId('publish'));
  }

  /** Back to the drop zone, as after signing in. */
  reset(): void {
    const running = this.running;
    this.running = undefined;
    running?.abort(new DOMException('Cancelled', 'AbortError'));
    this.show('idle');
  }

  private listenForDrops(zone: HTMLElement): void {
    // A drop that misses the card must not make the browser navigate to the dropped file.
    window.addEventListener('dragover', (event) => event.preventDefault());
    window.addEventListener('drop', (event) => event.preventDefault());
    zone.addEventListener('dragenter', (event) => {
      event.preventDefault();
      if (this.dragDepth++ === 0 && !this.running) byId('drop-zone').classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => {
      if (--this.dragDepth === 0) byId('drop-zone').classList.remove('dragging');
    });
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = this.running ? 'none' : 'copy';
    });
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.dragDepth = 0;
      byId('drop-zone').classList.remove('dragging');
      if (this.running || !event.dataTransfer) return;
      const entries = entriesOfDrop(event.dataTransfer);
      if (entries.length > 0) void this.publish(folderFromEntries(entries));
    });
  }

  private async publish(picked: PickedFolder | Promise<PickedFolder>): Promise<void> {
    const controller = new AbortController();
    this.running = controller;
    const hashes = new HashPool(WORKER_URL, HASH_WORKERS);
    const failures: FileFailure[] = [];
    let folder: PickedFolder | undefined;
    let progress: ProgressView | undefined;
    // The last publish's left-out list is not this one's.
    byId('notes').hidden = true;
    try {
      folder = await picked;
      progress = new ProgressView(folder.name);
      this.show('progress');
      byId('progress-title').focus();
      const result = await publishFolder(
        folder,
        this.options.api(),
        hashes,
        {
          onSelected: (skipped) => this.showSkipped(skipped),
          onProgress: (state) => progress?.update(state),
          onFailure: (failure) => {
            failures.push(failure);
            this.showLiveFailures(failures);
          },
        },
        controller.signal,
      );
      progress.stop();
      this.showPublished(folder.name, result);
      this.options.onPublished(result);
    } catch (err) {
      progress?.stop();
      // Signed out meanwhile: the page has moved on.
      if (this.running !== controller) return;
      if (controller.signal.aborted) this.showCancelled();
      else this.showFailed(folder, err);
    } finally {
      hashes.terminate();
      if (this.running === controller) this.running = undefined;
    }
  }

  private show(state: 'idle' | 'progress' | 'outcome'): void {
    byId('drop-zone').hidden = state !== 'idle';
    byId('progress').hidden = state !== 'progress';
    byId('outcome').hidden = state !== 'outcome';
    // The left-out list of this publish stays through its outcome; a new publish draws its own.
    if (state !== 'outcome') byId('notes').hidden = true;
    if (state === 'progress') document.getElementById('live-failures')?.remove();
  }

  private showLiveFailures(failures: readonly FileFailure[]): void {
    document.getElementById('live-failures')?.remove();
    byId('progress').append(h('div', { id: 'live-failures' }, failureList(failures)));
  }

  private showPublished(name: string, result: PublishResult): void {
    const uploaded =
      result.blobsUploaded === 0 ? 'nothing' : `${counted(result.blobsUploaded, 'blob')} · ${formatBytes(result.bytesUploaded)}`;
    this.showOutcome('success', '✓', `Published ${name}`, `${counted(result.fileCount, 'file')} · ${formatBytes(result.totalBytes)}`, [
      copyField({ id: 'result-id', label: 'Manifest id', value: result.manifestId }),
      h(
        'p',
        { class: 'preview-link' },
        'Preview: ',
        h('a', { id: 'result-preview', href: result.previewUrl, target: '_blank', rel: 'noopener noreferrer' }, result.previewUrl),
      ),
      facts([
        ['Files', result.fileCount.toLocaleString('en')],
        ['Total size', formatBytes(result.totalBytes)],
        ['Already on the server', `${result.blobsAlreadyPresent.toLocaleString('en')} of ${counted(result.blobCount, 'blob')}`],
        ['Uploaded', uploaded],
      ]),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'button primary', onclick: () => this.options.onOpenManifest(result.manifestId) },
          'View files',
        ),
        h('button', { type: 'button', class: 'button secondary', onclick: () => this.again() }, 'Publish another folder'),
      ),
    ]);
  }

  private showFailed(folder: PickedFolder | undefined, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const failures = err instanceof PublishFailedError ? err.failures : [];
    this.showOutcome('failure', '!', 'Nothing was published', message, [
      failures.length > 0 ? failureList(failures) : null,
      h(
        'div',
        { class: 'actions' },
        folder ? h('button', { type: 'button', class: 'button primary', onclick: () => void this.publish(folder) }, 'Try again') : null,
        h('button', { type: 'button', class: 'button secondary', onclick: () => this.again() }, 'Choose another folder'),
      ),
    ]);
  }

  private showCancelled(): void {
    this.showOutcome('cancelled', '–', 'Publishing cancelled', 'The upload session was aborted; nothing was published.', [
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button primary', onclick: () => this.again() }, 'Publish a folder'),
      ),
    ]);
  }

  private showOutcome(kind: string, icon: string, title: string, summary: string, body: Child[]): void {
    const outcome = byId('outcome');
    outcome.className = `outcome ${kind}`;
    const heading = h('h2', { id: 'outcome-title', tabindex: -1 }, title);
    outcome.replaceChildren(
      h(
        'div',
        { class: 'outcome-head' },
        h('span', { class: 'outcome-icon', 'aria-hidden': 'true' }, icon),
        h('div', {}, heading, h('p', {}, summary)),
      ),
      ...(body.filter(Boolean) as Node[]),
    );
    this.show('outcome');
    heading.focus();
  }

  /** Every file left out, by path and reason, from the moment the files are chosen to the outcome. */
  private showSkipped(skipped: readonly SkippedFile[]): void {
    const notes = byId('notes');
    notes.hidden = false;
    const title = skipped.length === 0 ? 'No file left out' : `${counted(skipped.length, 'file')} left out`;
    const list = skipped.map((file) =>
      h('li', {}, h('code', { class: 'path' }, file.path), h('span', { class: 'reason' }, `: ${file.reason}`)),
    );
    notes.replaceChildren(
      h('h3', { id: 'left-out-title' }, title),
      ...(list.length > 0 ? [h('ul', { id: 'left-out', 'aria-labelledby': 'left-out-title' }, ...list)] : []),
      symlinkNote(),
    );
  }

  private again(): void {
    this.show('idle');
    byId('choose-folder').focus();
  }
}

function failureList(failures: readonly FileFailure[]): HTMLElement {
  return h(
    'ul',
    { class: 'failures', 'aria-label': 'Files that could not be uploaded' },
    ...failures.map((failure) => h('li', {}, h('div', { class: 'path' }, failure.path), h('div', { class: 'message' }, failure.message))),
  );
}
