// Start-up floor: a bare Node process that binds a port with http.createServer().listen() on
// 127.0.0.1 (port 0, as the bench's daemon does) and prints one line. SIGTERM stops it.

import http from 'node:http';

const server = http.createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ msg: 'bare node ready', url: `http://127.0.0.1:${port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
