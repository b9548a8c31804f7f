// The alias calls the page makes with the tab's token (PUT/GET/DELETE /v1/aliases…), beside api.ts's.
import { PressCloudNetworkError, apiErrorOf } from '../client/errors.js';
import type { AliasDetail, AliasList, AliasSetResponse } from '../api/types.js';
import type { PageApi } from './api.js';

export function listAliases(api: PageApi): Promise<AliasList> {
  return call(api, 'GET', '/v1/aliases');
}

export function getAlias(api: PageApi, name: string): Promise<AliasDetail> {
  return call(api, 'GET', `/v1/aliases/${encodeURIComponent(name)}`);
}

export function putAlias(api: PageApi, name: string, manifestId: string): Promise<AliasSetResponse> {
  return call(api, 'PUT', `/v1/aliases/${encodeURIComponent(name)}`, { manifestId });
}

/** Points the alias back at the newest manifest of its history other than the current one; null when there is none. */
export async function rollbackAlias(api: PageApi, name: string): Promise<AliasSetResponse | null> {
  const detail = await getAlias(api, name);
  const previous = detail.history.find((change) => change.manifestId !== detail.manifestId);
  return previous ? putAlias(api, name, previous.manifestId) : null;
}

async function call<T>(api: PageApi, method: string, path: string, body?: unknown): Promise<T> {
  const headers = api.headers();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    throw new PressCloudNetworkError('The server could not be reached.', { cause: err });
  }
  if (!response.ok)
    throw apiErrorOf(response.status, await response.text().catch(() => ''), response.headers.get('retry-after') ?? undefined);
  return (await response.json()) as T;
}
