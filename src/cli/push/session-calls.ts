// The session calls of a push (create, complete, abort), each under the retry policy and a stall timeout,
// counting the sessions opened and the retries for the summary.
import type { PressCloudClient } from '../../client/client.js';
import type { CompleteUploadSessionResponse, CreateUploadSessionResponse } from '../../api/types.js';
import type { LocalManifest } from './local-manifest.js';
import { RetryingCalls } from '../transfer-common/retrying-calls.js';
import type { RetryingCallOptions } from '../transfer-common/retrying-calls.js';

export interface SessionCallOptions extends RetryingCallOptions {
  /** expiresInSeconds asked for each session; undefined lets the server choose. */
  sessionTtlSeconds: number | undefined;
}

export type OpenSession = Pick<CreateUploadSessionResponse, 'uploadSessionId' | 'uploadToken'>;

export class SessionCalls extends RetryingCalls {
  private opened = 0;

  constructor(
    readonly client: PressCloudClient,
    override readonly options: SessionCallOptions,
  ) {
    super(options);
  }

  get sessionsOpened(): number {
    return this.opened;
  }

  async open(manifest: LocalManifest): Promise<CreateUploadSessionResponse> {
    const session = await this.retrying('session creation', (signal) =>
      this.client.createUploadSession({ files: [...manifest.files], expiresInSeconds: this.options.sessionTtlSeconds }, { signal }),
    );
    this.opened++;
    return session;
  }

  complete(session: OpenSession): Promise<CompleteUploadSessionResponse> {
    return this.retrying('completion', (signal) =>
      this.client.completeUploadSession(session.uploadSessionId, session.uploadToken, { signal }),
    );
  }

  abort(session: OpenSession, what = 'abort of the session'): Promise<void> {
    return this.retrying(what, (signal) => this.client.abortUploadSession(session.uploadSessionId, session.uploadToken, { signal }));
  }
}
