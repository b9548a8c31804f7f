// s3rver in a process of its own (as the tests start it: test/support/s3rver.ts), so the bench's load
// generator and the store do not share an event loop. Prints `PORT <n>` once listening; SIGTERM stops it.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`PORT ${port}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
