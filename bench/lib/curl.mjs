import { runOk } from './proc.mjs';

/**
 * PUT a file with curl (no Expect: 100-continue); resolves {status, seconds, body}.
 * `target` is [...headerArgs, url].
 */
export async function curlPut(file, target, { timeoutMs = 600_000, method = 'PUT', extra = [] } = {}) {
  const r = await runOk(
    'curl',
    ['-sS', '-X', method, '-T', file, '-H', 'Expect:', ...extra, '-o', '-', '-w', '\n%{http_code} %{time_total}', ...target],
    { timeoutMs },
  );
  const lines = r.stdout.split('\n');
  const [status, seconds] = lines.pop().trim().split(' ');
  return { status: Number(status), seconds: Number(seconds), body: lines.join('\n') };
}
