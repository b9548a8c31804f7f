// Wire shapes of API.md that the wire types (src/api/types.ts) do not name yet: the manifest list and the
// batch upload's answer.
import type { ManifestSummary, StoredBlob } from '../api/types.js';

export interface ManifestList {
  manifests: ManifestSummary[];
  nextCursor?: string;
}

export type BatchPartResult =
  | { sha256: string; status: 200; alreadyPresent: boolean; blob: StoredBlob }
  | { sha256: string; status: number; error: string; message: string };

export interface BatchUploadResponse {
  uploadSessionId: string;
  results: BatchPartResult[];
}
