// Drives an IPFS RPC API with kubo-rpc-client (pinned by the lockfile beside this file) through the calls users make
// and prints one JSON object of what it saw, with the keys tests/ipfs_clients/*_check.py use;
// tests/test_kubo_conformance.py checks it. The client has no method for pin/verify, dag/stat, repo/verify or
// cid/*: those keys are absent. Usage: node conformance.mjs <api-url>
import { create } from 'kubo-rpc-client'

const ipfs = create({ url: `${process.argv[2]}/api/v0` })
const enc = new TextEncoder()
const dec = new TextDecoder()
const HELLO = enc.encode('hello\n')
const all = async (iterable) => { const out = []; for await (const item of iterable) out.push(item); return out }
const bytes = async (iterable) => Buffer.concat((await all(iterable)).map(chunk => Buffer.from(chunk)))
const int = (value) => (typeof value === 'bigint' || Number.isInteger(value)) ? 'int' : typeof value

// A tar stream (ipfs get) read far enough to find one file's bytes: 512-byte headers, octal sizes; PAX extended
// headers (type x / g, which Kubo writes with mtimes) name the file too and are skipped.
function fromTar (tar, suffix) {
  for (let at = 0; at + 512 <= tar.length;) {
    const name = tar.subarray(at, at + 100).toString().replace(/\0.*$/s, '')
    const size = parseInt(tar.subarray(at + 124, at + 136).toString().replace(/\0.*$/s, '').trim() || '0', 8)
    const type = String.fromCharCode(tar[at + 156])
    if (name.endsWith(suffix) && type !== 'x' && type !== 'g') return tar.subarray(at + 512, at + 512 + size).toString()
    at += 512 + Math.ceil(size / 512) * 512
  }
  return null
}

const out = {}
if ((await ipfs.key.list()).some(key => key.name === 'conformance-key')) await ipfs.key.rm('conformance-key')
if ((await all(ipfs.files.ls('/'))).some(entry => entry.name === 'conformance')) {
  await ipfs.files.rm('/conformance', { recursive: true })
}
out.add = (await ipfs.add(HELLO)).cid.toString()
out.add_v1 = (await ipfs.add(HELLO, { cidVersion: 1 })).cid.toString()
out.add_only_hash = (await ipfs.add(enc.encode('never stored'), { onlyHash: true })).cid.toString()
const dir = await all(ipfs.addAll([{ path: 'd/a.txt', content: HELLO }, { path: 'd/b.txt', content: enc.encode('b\n') }], { cidVersion: 1, pin: false }))
out.add_dir = [...dir.filter(e => e.path !== 'd').reverse(), ...dir.filter(e => e.path === 'd')].map(e => [e.path, e.cid.toString()])
const root = dir[dir.length - 1].cid
out.get = fromTar(await bytes(ipfs.get(root)), 'a.txt')
out.cat = dec.decode(await bytes(ipfs.cat(out.add_v1)))
out.ls = (await all(ipfs.ls(root))).map(e => [e.name, e.cid.toString(), e.size])
try { await ipfs.pin.rm(root) } catch {} // pinned by an earlier client on the same node
const other = (await ipfs.add(enc.encode('other\n'), { cidVersion: 1, pin: false })).cid
out.pin_add = [(await ipfs.pin.add(other)).toString()]
out.pin_ls = Object.fromEntries((await all(ipfs.pin.ls({ paths: [other] }))).map(p => [p.cid.toString(), { Type: p.type, Name: p.name ?? '' }]))
out.pin_update = (await ipfs.pin.update(other, root)).map(String)
out.pin_rm = [(await ipfs.pin.rm(root)).toString()]
const dag = await ipfs.dag.put({ hello: 'world' })
out.dag_put = dag.toString()
out.dag_get = (await ipfs.dag.get(dag)).value
const car = await bytes(ipfs.dag.export(dag))
out.dag_export_len = car.length
const imported = await all(ipfs.dag.import([car]))
out.dag_import = { Root: { Cid: { '/': imported[0].root.cid.toString() }, PinErrorMsg: imported[0].root.pinErrorMsg ?? '' } }
const block = await ipfs.block.put(enc.encode('a block'))
const blockStat = await ipfs.block.stat(block)
out.block_put = { Key: block.toString(), Size: blockStat.size }
out.block_stat = { Key: blockStat.cid.toString(), Size: blockStat.size }
out.block_get = dec.decode(await ipfs.block.get(block))
await ipfs.files.mkdir('/conformance/dir', { parents: true })
await ipfs.files.write('/conformance/dir/f.txt', HELLO, { create: true })
out.files_read = dec.decode(await bytes(ipfs.files.read('/conformance/dir/f.txt')))
const fstat = await ipfs.files.stat('/conformance/dir/f.txt')
out.files_stat = { Hash: fstat.cid.toString(), Size: fstat.size, Type: fstat.type }
await ipfs.files.cp('/conformance/dir/f.txt', '/conformance/copy.txt')
await ipfs.files.mv('/conformance/copy.txt', '/conformance/moved.txt')
out.files_ls = (await all(ipfs.files.ls('/conformance'))).map(e => e.name).sort()
await ipfs.files.rm('/conformance', { recursive: true })
out.files_ls_after_rm = await all(ipfs.files.ls('/'))
const key = await ipfs.key.gen('conformance-key', { type: 'ed25519' })
out.key_gen = { Name: key.name, Id: key.id }
out.key_list = (await ipfs.key.list()).map(k => k.name)
out.key_rm = [(await ipfs.key.rm('conformance-key')).name]
const published = await ipfs.name.publish(`/ipfs/${root}`, { allowOffline: true })
out.name_publish = { Name: published.name, Value: published.value }
out.name_resolve = (await all(ipfs.name.resolve(published.name))).pop()
out.resolve = await ipfs.resolve(`/ipfs/${root}/a.txt`)
out.refs = (await all(ipfs.refs(root))).map(r => r.ref)
const repo = await ipfs.repo.stat()
out.repo_stat = { NumObjects: int(repo.numObjects), RepoSize: int(repo.repoSize), StorageMax: int(repo.storageMax) }
out.repo_gc = (await all(ipfs.repo.gc())).length >= 0
out.version = (await ipfs.version()).version
out.id = (await ipfs.id()).id.toString()
out.self = published.name
console.log(JSON.stringify(out))
