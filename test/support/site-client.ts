// Requests to a site host over node:http: fetch cannot set Host, and Node does not resolve *.localhost, so the
// request goes to the server's own address with the site's Host header, as a browser's would arrive.
import http from 'node:http';

export interface SiteAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface SiteRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly agent?: http.Agent;
}

/** `path` is sent exactly as given (no normalisation), so tests can send `..`, `//` and escapes. */
export function siteRequest(serverUrl: string, host: string, path: string, options: SiteRequestOptions = {}): Promise<SiteAnswer> {
  const { hostname, port } = new URL(serverUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      path,
      method: options.method ?? 'GET',
      agent: options.agent,
      setHost: false,
      headers: { host: `${host}:${port}`, ...options.headers },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
