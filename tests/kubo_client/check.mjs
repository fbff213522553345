// Drives an IPFS RPC API with kubo-rpc-client (Kubo's own JS client, pinned by the lockfile beside this file)
// and prints one JSON line of what it saw; tests/test_kubo_conformance.py checks it. Usage: node check.mjs <api-url>
import { create } from 'kubo-rpc-client'

const api = process.argv[2]
const ipfs = create({ url: `${api}/api/v0` })
const out = {}
const text = new TextEncoder().encode('hello\n')
const added = await ipfs.add(text, { cidVersion: 1 })
out.add = { cid: added.cid.toString(), size: added.size, path: added.path }
const chunks = []
for await (const chunk of ipfs.cat(added.cid)) chunks.push(...chunk)
out.cat = new TextDecoder().decode(new Uint8Array(chunks))
out.pins = []
for await (const pin of ipfs.pin.ls({ paths: [added.cid] })) out.pins.push({ cid: pin.cid.toString(), type: pin.type })
const stat = await ipfs.block.stat(added.cid)
out.blockStat = { cid: stat.cid.toString(), size: stat.size }
const files = await ipfs.files.stat(`/ipfs/${added.cid}`)
out.filesStat = { cid: files.cid.toString(), size: files.size, type: files.type }
const dir = []
for await (const entry of ipfs.addAll([{ path: 'd/a.txt', content: text }, { path: 'd/b.txt', content: text }], { cidVersion: 1 })) dir.push(entry)
const root = dir[dir.length - 1]
const node = await ipfs.dag.get(root.cid)
out.dag = { links: node.value.Links.map(link => [link.Name, link.Hash.toString()]) }
out.version = (await ipfs.version()).version
const config = await ipfs.config.getAll()
out.privKey = Object.hasOwn(config.Identity ?? {}, 'PrivKey')
try {
  await ipfs.cat('not-a-cid').next()
  out.badCid = 'accepted'
} catch (err) {
  out.badCid = err.message
}
console.log(JSON.stringify(out))
