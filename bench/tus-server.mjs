// The tus baseline for `npm run bench`: @tus/server with @tus/file-store on 127.0.0.1.
// Usage: node bench/tus-server.mjs PORT DIRECTORY
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const [port, directory] = process.argv.slice(2);
if (!port || !directory) {
  console.error('usage: node bench/tus-server.mjs PORT DIRECTORY');
  process.exit(2);
}
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) });
const http = server.listen({ host: '127.0.0.1', port: Number(port) }, () => {
  console.log(`tus listening on http://127.0.0.1:${port}/files`);
});
const stop = () => http.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
