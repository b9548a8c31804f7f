// The messages between the page and its hashing workers.

export interface HashRequest {
  readonly id: number;
  readonly file: File;
}

export type HashReply =
  | { readonly id: number; readonly type: 'progress'; readonly bytes: number }
  | { readonly id: number; readonly type: 'done'; readonly sha256: string; readonly size: number }
  | { readonly id: number; readonly type: 'error'; readonly message: string };
