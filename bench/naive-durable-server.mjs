// The naive durable Node server the big-blob section compares against: each chunk hashed on the event loop,
// then written (awaited), one fdatasync at the end, a rename into place, 200 with the digest.
// `node naive-durable-server.mjs <port> <dir>`; PUT /<name> stores <dir>/<name>.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const [port, dir] = process.argv.slice(2);
await mkdir(dir, { recursive: true });

http
  .createServer(async (req, res) => {
    if (req.method !== 'PUT') {
      res.writeHead(req.url === '/healthz' ? 200 : 405).end();
      return;
    }
    const name = path.basename(req.url ?? '/blob');
    const tmp = path.join(dir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    const file = await open(tmp, 'wx');
    try {
      let position = 0;
      for await (const chunk of req) {
        hash.update(chunk);
        await file.write(chunk, 0, chunk.length, position);
        position += chunk.length;
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(tmp, path.join(dir, name));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sha256: hash.digest('hex') }));
  })
  .listen(Number(port), '127.0.0.1');
