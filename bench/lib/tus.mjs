// Start bench/tus-server.mjs as a child and upload through it with curl (creation + one PATCH).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runOk, startChild, stopChild, waitForHttp } from './proc.mjs';

const script = fileURLToPath(new URL('../tus-server.mjs', import.meta.url));

export async function startTus(workDir) {
  const dir = path.join(workDir, 'files');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child = startChild(process.execPath, [script, String(port), dir], { cwd: path.dirname(script) });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/files`, { child, timeoutMs: 15_000 });
  return { name: 'tus', url, dir, child, stop: () => stopChild(child) };
}

/** tus creation then a single PATCH of the whole file; returns seconds for both requests. */
export async function tusUpload(url, file, size, { timeoutMs }) {
  const create = await runOk(
    'curl',
    [
      '-sS',
      '--fail-with-body',
      '-o',
      '/dev/null',
      '-D',
      '-',
      '-X',
      'POST',
      '-H',
      'Tus-Resumable: 1.0.0',
      '-H',
      `Upload-Length: ${size}`,
      '-H',
      'Content-Length: 0',
      '-w',
      '\n%{time_total}',
      `${url}/files`,
    ],
    { timeoutMs: 30_000 },
  );
  const location = /^location:\s*(\S+)/im.exec(create.stdout)?.[1];
  if (!location) throw new Error(`tus creation gave no Location:\n${create.stdout}`);
  const createSeconds = Number(create.stdout.trim().split('\n').pop());
  const target = new URL(location, url).href;
  const patch = await runOk(
    'curl',
    [
      '-sS',
      '--fail-with-body',
      '-o',
      '/dev/null',
      '-X',
      'PATCH',
      '-T',
      file,
      '-H',
      'Expect:',
      '-H',
      'Tus-Resumable: 1.0.0',
      '-H',
      'Upload-Offset: 0',
      '-H',
      'Content-Type: application/offset+octet-stream',
      '-w',
      '%{http_code} %{time_total}',
      target,
    ],
    { timeoutMs },
  );
  const [code, t] = patch.stdout.trim().split(' ');
  if (code !== '204') throw new Error(`tus PATCH answered ${code}`);
  return createSeconds + Number(t);
}
