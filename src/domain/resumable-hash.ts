// The running SHA-256 of a resumable upload, whose state can be saved with each acknowledged offset and
// resumed by any instance later (Node's crypto Hash cannot be serialized; hash-wasm's hasher can).
import { createSHA256, type IHasher } from 'hash-wasm';

export class ResumableHash {
  private constructor(private readonly hasher: IHasher) {}

  /** A hash of nothing, or one continuing from a state that save() returned. */
  static async resume(state: Uint8Array | null): Promise<ResumableHash> {
    const hasher = await createSHA256();
    hasher.init();
    if (state !== null) hasher.load(state);
    return new ResumableHash(hasher);
  }

  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
  }

  /** The state after every byte fed so far (about a hundred bytes). */
  save(): Uint8Array {
    return this.hasher.save();
  }

  /** Lowercase hex; the hash is finished afterwards. */
  digest(): string {
    return this.hasher.digest('hex');
  }
}
