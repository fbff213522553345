// Embedded IPFS node for Hologram Pipeline: js-ipfs with the Kubo RPC API on loopback, no swarm.
// Usage: node ipfs-node.mjs <repo-dir> [port]   (port 0 = any free port; a taken port falls back to any)
// Prints one JSON line {"api": "http://127.0.0.1:<port>", "version": ...} once the API listens.
import { create } from 'ipfs-core'
import { HttpApi } from 'ipfs-http-server'

const [repo, port = '0'] = process.argv.slice(2)
if (!repo) {
  console.error('usage: node ipfs-node.mjs <repo-dir> [port]')
  process.exit(2)
}

const ipfs = await create({
  repo,
  start: false, // libp2p never starts: no swarm, no network; the API on loopback is the only socket
  preload: { enabled: false },
  init: { emptyRepo: true },
  config: { Bootstrap: [], Addresses: { Swarm: [], Gateway: '' } }
})

async function startApi (apiPort) {
  await ipfs.config.set('Addresses.API', `/ip4/127.0.0.1/tcp/${apiPort}`)
  const api = new HttpApi(ipfs)
  await api.start()
  return api
}

let api
try {
  api = await startApi(port)
} catch (err) {
  if (err.code !== 'EADDRINUSE' || port === '0') throw err
  api = await startApi('0')
}
const server = api._apiServers[0]

// Kubo prints CIDv1 in base32; js-ipfs defaults to base58btc. Ask for base32 when a v1 CID is requested
// and the client did not choose a base (asking base32 for a v0 CID would fail).
server.ext('onRequest', (request, h) => {
  const query = request.query
  if (query['cid-version'] === '1' && !query['cid-base']) {
    request.setUrl(`${request.url.pathname}${request.url.search}&cid-base=base32`)
  }
  return h.continue
})

let stopping = false
async function stop () {
  if (stopping) return
  stopping = true
  try {
    await api.stop()
    await ipfs.stop()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

const { version } = await ipfs.version()
console.log(JSON.stringify({ api: `http://127.0.0.1:${server.info.port}`, version }))
