// Draws a publish's progress: files and bytes hashed, bytes uploaded, rate and time left, at most once a frame.
import { byId } from './dom.js';
import { counted, formatBytes, formatRate, formatTimeLeft } from './format.js';
import type { PublishProgress } from './publish.js';
import { RateMeter } from './rate.js';

const PHASE_STATUS: Record<PublishProgress['phase'], string> = {
  hashing: 'Hashing files',
  starting: 'Asking the server what it already has',
  uploading: 'Uploading',
  completing: 'Finishing the manifest',
};

export class ProgressView {
  private readonly hashRate = new RateMeter();
  private readonly uploadRate = new RateMeter();
  private latest: Readonly<PublishProgress> | undefined;
  private frame: number | undefined;
  private announcedPhase: string | undefined;

  constructor(folderName: string) {
    byId('progress-title').textContent = `Publishing ${folderName}`;
    byId('hash-phase').classList.remove('done');
    byId('upload-phase').classList.remove('done');
    for (const id of ['hash-count', 'hash-detail', 'upload-count']) byId(id).textContent = '';
    byId('upload-detail').textContent = 'Waiting for hashing to finish';
    for (const id of ['hash-bar', 'upload-bar']) byId<HTMLProgressElement>(id).value = 0;
  }

  update(progress: Readonly<PublishProgress>): void {
    this.latest = progress;
    const now = performance.now();
    this.hashRate.record(progress.bytesHashed, now);
    if (progress.phase === 'uploading') this.uploadRate.record(progress.bytesUploaded, now);
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  stop(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
  }

  private draw(): void {
    const p = this.latest;
    if (!p) return;
    const hashed = p.filesHashed === p.fileCount;
    byId('hash-count').textContent = `${p.filesHashed.toLocaleString('en')} of ${counted(p.fileCount, 'file')}`;
    byId<HTMLProgressElement>('hash-bar').value = fraction(p.bytesHashed, p.totalBytes, hashed);
    byId('hash-detail').textContent = hashed
      ? `${formatBytes(p.totalBytes)} hashed`
      : `${formatBytes(p.bytesHashed)} of ${formatBytes(p.totalBytes)}${rateAndTimeLeft(this.hashRate, p.totalBytes - p.bytesHashed)}`;
    byId('hash-phase').classList.toggle('done', hashed);

    if (p.phase === 'uploading' || p.phase === 'completing') this.drawUpload(p);
    if (this.announcedPhase !== p.phase) {
      this.announcedPhase = p.phase;
      byId('progress-status').textContent = PHASE_STATUS[p.phase];
    }
  }

  private drawUpload(p: Readonly<PublishProgress>): void {
    const present = p.blobsAlreadyPresent > 0 ? ` · ${counted(p.blobsAlreadyPresent, 'file')} already on the server` : '';
    byId('upload-count').textContent =
      p.blobsToUpload === 0 ? 'nothing to upload' : `${p.blobsUploaded.toLocaleString('en')} of ${counted(p.blobsToUpload, 'file')}`;
    const done = p.phase === 'completing';
    byId<HTMLProgressElement>('upload-bar').value = fraction(p.bytesUploaded, p.bytesToUpload, done);
    byId('upload-phase').classList.toggle('done', done);
    if (p.blobsToUpload === 0) {
      byId('upload-detail').textContent = 'The server already has every file.';
    } else if (done) {
      byId('upload-detail').textContent = `${formatBytes(p.bytesToUpload)} uploaded${present}`;
    } else {
      const pace = rateAndTimeLeft(this.uploadRate, p.bytesToUpload - p.bytesUploaded);
      byId('upload-detail').textContent = `${formatBytes(p.bytesUploaded)} of ${formatBytes(p.bytesToUpload)}${pace}${present}`;
    }
  }
}

function fraction(done: number, total: number, finished: boolean): number {
  if (finished) return 1;
  return total > 0 ? Math.min(1, done / total) : 0;
}

function rateAndTimeLeft(meter: RateMeter, remaining: number): string {
  const rate = meter.bytesPerSecond();
  if (rate === undefined || rate === 0) return '';
  return ` · ${formatRate(rate)} · ${formatTimeLeft(remaining / rate)}`;
}
