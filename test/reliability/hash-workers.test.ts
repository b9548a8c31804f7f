// The worker-thread hashing pool (PRESSCLOUD_HASH_WORKERS): threads start on first use, close() ends them,
// and a thread that fails fails only the stream it was hashing before it is replaced.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HashWorkerPool, sharedBatch } from '../../src/storage/blob/hash-workers.js';

async function digestOn(pool: HashWorkerPool, bytes: Buffer): Promise<string> {
  const hash = pool.stream();
  const batch = sharedBatch(bytes.length);
  bytes.copy(batch);
  await hash.update(batch, bytes.length);
  return hash.digest();
}

describe('HashWorkerPool', () => {
  const pools: HashWorkerPool[] = [];
  const pool = (size: number) => {
    const made = new HashWorkerPool(size);
    pools.push(made);
    return made;
  };
  afterEach(async () => {
    for (const made of pools.splice(0)) await made.close();
  });

  it('starts its threads on first use and ends them on close', async () => {
    const hashing = pool(2);
    expect(hashing.running).toBe(0);
    const bytes = randomBytes(300_000);
    expect(await digestOn(hashing, bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(hashing.running).toBe(2);
    await hashing.close();
    expect(hashing.running).toBe(0);
    expect(() => hashing.stream()).toThrow('closed');
  });

  it('replaces a thread that fails, so the next streams hash correctly', async () => {
    const hashing = pool(1);
    const broken = hashing.stream();
    const batch = sharedBatch(16);
    // A length past the batch's end makes the thread throw: an uncaught error ends it.
    await expect(broken.update(batch, 1_000)).rejects.toThrow();
    broken.release();
    expect(hashing.running).toBe(1);
    const bytes = randomBytes(100_000);
    expect(await digestOn(hashing, bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a batch that is not shared memory', async () => {
    await expect(pool(1).stream().update(Buffer.alloc(16), 16)).rejects.toThrow('SharedArrayBuffer');
  });
});
