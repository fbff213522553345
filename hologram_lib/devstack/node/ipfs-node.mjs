// Embedded IPFS node for Hologram Pipeline: js-ipfs behind Kubo's RPC contract on loopback, no swarm.
// Usage: node ipfs-node.mjs <repo-dir> [port]   (port 0 = any free port; a taken port falls back to any)
// Prints one JSON line {"api": "http://127.0.0.1:<port>", "version": ...} once the API listens.
import { create } from 'ipfs-core'
import { HttpApi } from 'ipfs-http-server'
import { serveKuboContract } from './kubo-shim.mjs'

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

// js-ipfs's own API listens on an internal loopback port; clients talk to the Kubo-contract server in front.
await ipfs.config.set('Addresses.API', '/ip4/127.0.0.1/tcp/0')
const api = new HttpApi(ipfs)
await api.start()
const server = await serveKuboContract(ipfs, api._apiServers[0].info.port, port)

let stopping = false
async function stop () {
  if (stopping) return
  stopping = true
  try {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    await api.stop()
    await ipfs.stop()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

const { version } = await ipfs.version()
console.log(JSON.stringify({ api: `http://127.0.0.1:${server.address().port}`, version }))
