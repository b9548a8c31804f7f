// Prometheus metrics: one registry per app, so several apps (tests) never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BlobCensus } from '../domain/ports/metadata-store.js';
import type { ServiceMetrics } from '../domain/upload-service.js';

export class Metrics implements ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'presscloud_http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'presscloud_http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly received = new Counter({
    name: 'presscloud_blob_bytes_received_total',
    help: 'Blob body bytes received',
    registers: [this.registry],
  });
  private readonly stored = new Counter({
    name: 'presscloud_blobs_stored_total',
    help: 'Blobs newly written to the blob store',
    registers: [this.registry],
  });
  private readonly storedBytes = new Counter({
    name: 'presscloud_blob_bytes_stored_total',
    help: 'Bytes of blobs newly written to the blob store',
    registers: [this.registry],
  });
  private readonly dedupe = new Counter({
    name: 'presscloud_dedupe_hits_total',
    help: 'Blob PUTs whose bytes the store already held',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'presscloud_' });
  }

  /**
   * Live blobs and their bytes by where they are kept, read from the metadata at each scrape: place is the
   * database's dialect (`sqlite`: small blobs with their rows) or the blob store's kind (`fs`, `s3`).
   */
  reportBlobPlaces(census: BlobCensus, places: { readonly database: string; readonly store: string }): void {
    const labels = (counts: Awaited<ReturnType<BlobCensus['blobPlaces']>>, of: 'blobs' | 'bytes') => [
      { place: places.database, value: counts.database[of] },
      { place: places.store, value: counts.store[of] },
    ];
    for (const [name, help, of] of [
      ['presscloud_stored_blobs', 'Live blobs by the place that keeps their bytes', 'blobs'],
      ['presscloud_stored_blob_bytes', 'Bytes of live blobs by the place that keeps them', 'bytes'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['place'],
        registers: [this.registry],
        async collect() {
          for (const { place, value } of labels(await census.blobPlaces(), of)) this.set({ place }, value);
        },
      });
    }
  }

  bytesReceived(bytes: number): void {
    this.received.inc(bytes);
  }

  blobStored(bytes: number): void {
    this.stored.inc();
    this.storedBytes.inc(bytes);
  }

  dedupeHit(): void {
    this.dedupe.inc();
  }
}
