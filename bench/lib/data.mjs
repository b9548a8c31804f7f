// Deterministic test data: AES-128-CTR keystreams keyed by a seed, so every run (and every
// machine) generates the same bytes, fast, and nothing is downloaded.
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const CHUNK = 4 << 20;
const ZEROS = Buffer.alloc(CHUNK);

function keystream(seed, label) {
  const key = createHash('sha256').update(`presscloud-bench:${seed}:${label}`).digest();
  return createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
}

/** `size` pseudo-random bytes for (seed, label), in memory. */
export function bytes(seed, label, size) {
  return keystream(seed, label).update(size <= CHUNK ? ZEROS.subarray(0, size) : Buffer.alloc(size));
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/** sha256 of a file, streamed. */
export async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) h.update(chunk);
  return h.digest('hex');
}

/**
 * A file of `size` deterministic bytes at `file`, with its sha256; reused when a previous run
 * left it complete (a sidecar `.sha256` is written last).
 */
export async function bigFile(file, { seed, label, size }) {
  const side = `${file}.sha256`;
  try {
    const [st, meta] = await Promise.all([stat(file), readFile(side, 'utf8')]);
    const m = JSON.parse(meta);
    if (st.size === size && m.size === size && m.seed === seed && m.label === label) return { file, size, sha256: m.sha256 };
  } catch {
    /* generate */
  }
  await rm(side, { force: true });
  await mkdir(path.dirname(file), { recursive: true });
  const ks = keystream(seed, label);
  const h = createHash('sha256');
  const fh = await open(file, 'w');
  try {
    for (let left = size; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left);
      const buf = ks.update(n === CHUNK ? ZEROS : ZEROS.subarray(0, n));
      h.update(buf);
      await fh.write(buf);
    }
  } finally {
    await fh.close();
  }
  const digest = h.digest('hex');
  await writeFile(side, JSON.stringify({ seed, label, size, sha256: digest }));
  return { file, size, sha256: digest };
}

/** Small PRNG (mulberry32) for sizes and names. */
export function prng(seed) {
  let a = createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const logUniform = (r, lo, hi) => Math.floor(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));
const EXTS = ['html', 'html', 'html', 'css', 'js', 'js', 'json', 'svg', 'png', 'png', 'jpg', 'jpg', 'webp', 'woff2', 'txt'];

/**
 * The push dataset: `files` files in a two-level tree, mixed sizes (mostly small pages and
 * assets, some images, a few large files), about 10 KiB per file on average, so 10,000 files
 * make ~100 MB. Deterministic for a seed; reused if a previous run completed it.
 */
export async function siteTree(dir, { seed, files }) {
  const marker = path.join(dir, '..', `${path.basename(dir)}.complete.json`);
  const r = prng(`${seed}:tree`);
  const entries = [];
  for (let i = 0; i < files; i++) {
    const x = r();
    let size;
    if (x < 0.6)
      size = logUniform(r, 100, 4096); // small pages, css, js, json
    else if (x < 0.9)
      size = logUniform(r, 4096, 24576); // medium
    else if (x < 0.99)
      size = logUniform(r, 24576, 65536); // images
    else size = logUniform(r, 65536, 1 << 20); // a few large files
    const ext = EXTS[Math.floor(r() * EXTS.length)];
    const top = String(i % 20).padStart(2, '0');
    const sub = String(Math.floor(i / 20) % 5);
    entries.push({ rel: `section-${top}/part-${sub}/file-${String(i).padStart(6, '0')}.${ext}`, size });
  }
  const totalBytes = entries.reduce((s, e) => s + e.size, 0);
  const summary = { seed, files, totalBytes };
  try {
    const m = JSON.parse(await readFile(marker, 'utf8'));
    if (m.seed === seed && m.files === files && m.totalBytes === totalBytes) return { dir, ...summary };
  } catch {
    /* generate */
  }
  await rm(marker, { force: true });
  await rm(dir, { recursive: true, force: true });
  const dirs = new Set(entries.map((e) => path.dirname(e.rel)));
  for (const d of dirs) await mkdir(path.join(dir, d), { recursive: true });
  let i = 0;
  const worker = async () => {
    while (i < entries.length) {
      const e = entries[i++];
      await writeFile(path.join(dir, e.rel), bytes(seed, e.rel, e.size));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await writeFile(marker, JSON.stringify(summary));
  return { dir, ...summary };
}

/** `count` distinct blobs of `size` bytes, each {sha256, body}. */
export function smallBlobs({ seed, label, count, size }) {
  const all = bytes(seed, label, count * size);
  const out = [];
  for (let i = 0; i < count; i++) {
    const body = all.subarray(i * size, (i + 1) * size);
    out.push({ sha256: sha256(body), body });
  }
  return out;
}

/** A session manifest of `count` entries with distinct, deterministic sha256s (JSON text). */
export function bigManifest({ seed, count }) {
  const r = prng(`${seed}:manifest`);
  const files = new Array(count);
  for (let i = 0; i < count; i++) {
    const ext = EXTS[Math.floor(r() * EXTS.length)];
    files[i] = {
      path: `site/section-${String(i % 100).padStart(3, '0')}/page-${String(i).padStart(6, '0')}.${ext}`,
      sha256: createHash('sha256').update(`${seed}:m:${i}`).digest('hex'),
      size: logUniform(r, 100, 65536),
    };
  }
  return JSON.stringify({ files });
}
