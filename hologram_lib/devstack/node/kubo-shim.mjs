// Kubo's RPC contract in front of js-ipfs's HTTP API (https://docs.ipfs.tech/reference/kubo/rpc/).
// js-ipfs is archived and differs from Kubo where clients notice: it refuses multipart parts without a
// Content-Type, prints CIDv1 in base58btc, numbers where Kubo prints strings, an old dag/get shape, the private
// key in config/show, and 500 for malformed arguments. This front server forwards each call to js-ipfs on an
// internal loopback port and translates the request and the answer; everything else passes through unchanged.
import http from 'node:http'
import { CID } from 'multiformats/cid'
import { bases } from 'multiformats/basics'
import * as dagJson from '@ipld/dag-json'
import * as dagCbor from '@ipld/dag-cbor'

// A buffered request body above this is refused (413): the marketplace reads apps up to 64 MiB.
const MAX_BUFFERED_BODY = 512 * 1024 * 1024
// Calls whose answer is the content itself, streamed through untouched (only the Content-Type is Kubo's).
const CONTENT_CALLS = new Set(['cat', 'get', 'block/get', 'dag/export', 'files/read'])
// Kubo's `cid-base` is a multibase name or its one-character prefix (go-multibase EncoderByName).
const BASE_BY_NAME = new Map(Object.values(bases).flatMap(base => [[base.name, base], [base.prefix, base]]))

function kuboError (res, status, message, code = status >= 500 ? 0 : 1) {
  // Kubo's error body; Code 0 = an error of the command, 1 = a client error (go-ipfs-cmds ErrNormal / ErrClient).
  const body = JSON.stringify({ Message: message, Code: code, Type: 'error' }) + '\n'
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

async function readBody (req) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BUFFERED_BODY) throw Object.assign(new Error('request body too large'), { status: 413 })
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

function boundaryOf (contentType) {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '')
  return match ? match[1] || match[2] : null
}

// Kubo reads a multipart part without a Content-Type as a file (Python requests' default `files=` sends none);
// js-ipfs throws. Give such parts the type Kubo assumes. Only part headers are touched, never file bytes.
export function typeUntypedParts (body, boundary) {
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`)
  const pieces = []
  let copied = 0
  let at = body.indexOf(delimiter)
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) break // closing "--boundary--"
    const headersEnd = body.indexOf('\r\n\r\n', afterDelimiter)
    if (headersEnd === -1) break
    const headers = body.subarray(afterDelimiter, headersEnd).toString('latin1')
    if (!/\r\ncontent-type:/i.test(headers)) {
      pieces.push(body.subarray(copied, headersEnd), Buffer.from('\r\nContent-Type: application/octet-stream'))
      copied = headersEnd
    }
    const next = body.indexOf(nextDelimiter, headersEnd + 4)
    at = next === -1 ? -1 : next + 2
  }
  if (copied === 0) return body
  pieces.push(body.subarray(copied))
  return Buffer.concat(pieces)
}

// Kubo prints CIDv1 in base32 unless `cid-base` names another base; CIDv0 stays base58btc ("Qm…") unless
// `upgrade-cidv0-in-output` is set. js-ipfs fails when asked for base32 on a v0 CID, so the shim never
// forwards `cid-base` and encodes the answer itself.
function cidFormatter (query) {
  const base = BASE_BY_NAME.get(query.get('cid-base') || 'base32')
  const upgradeV0 = query.get('upgrade-cidv0-in-output') === 'true'
  return text => {
    if (typeof text !== 'string' || text.length < 46 || !/^(Qm|[a-z])[1-9A-Za-z]+$/.test(text)) return text
    let cid
    try {
      cid = CID.parse(text)
    } catch {
      return text
    }
    if (cid.version === 0) return upgradeV0 ? cid.toV1().toString(base.encoder) : text
    return cid.toString(base.encoder)
  }
}

function mapCids (value, format) {
  if (typeof value === 'string') return format(value)
  if (Array.isArray(value)) return value.map(item => mapCids(item, format))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [format(key), mapCids(item, format)]))
  }
  return value
}

function withoutPrivateKeys (value) {
  if (Array.isArray(value)) return value.map(withoutPrivateKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).filter(([key]) => key !== 'PrivKey').map(([key, item]) => [key, withoutPrivateKeys(item)])
    )
  }
  return value
}

// Per-call reshaping of one JSON object of the answer into Kubo's shape.
function kuboShape (call, object, publicApi) {
  if (call === 'add' && object.Hash !== undefined) {
    // Kubo: {Name, Hash, Size} with Size a decimal string; no Mode / Mtime unless asked for.
    const { Mode, Mtime, MtimeNsecs, ...rest } = object
    return rest.Size === undefined ? rest : { ...rest, Size: String(rest.Size) }
  }
  if (call.startsWith('config')) {
    const clean = withoutPrivateKeys(object)
    if (clean.Addresses && typeof clean.Addresses === 'object') clean.Addresses.API = publicApi
    return clean
  }
  return object
}

function clientMistake (message) {
  // js-ipfs validates arguments with joi and answers "Invalid request query input" (400) or throws a parse
  // error (500); Kubo answers 400 for a malformed call ("Malformed RPC, argument type error").
  return /Invalid request query input|Non-base|Unknown base|invalid cid|Invalid CID|Incorrect length|Unexpected end|multipart|must be a|is not a valid/i.test(message)
}

function translateError (call, status, message, query) {
  if (/ENOENT: no such file or directory/.test(message)) {
    // A block this offline node does not hold: Kubo's own words, without js-ipfs's repo path.
    return [500, `block was not found locally (offline): ipld: could not find ${query.get('arg') || 'the block'}`, 0]
  }
  if (status === 404) return [404, `404 page not found: /api/v0/${call}`, 3]
  if (status === 405) return [405, '405 - Method Not Allowed (the RPC API answers POST only)', 1]
  if (status === 400 || (status >= 500 && clientMistake(message))) {
    const arg = query.get('arg')
    if (arg === null) return [400, `${message}: a required argument is missing or an option is invalid (/api/v0/${call})`, 1]
    return [400, `${message} (argument "${arg.slice(0, 200)}")`, 1]
  }
  return [status, message, status >= 500 ? 0 : 1]
}

// Kubo's chunker limits (boxo/chunker): js-ipfs loops forever on a zero size — one `add?chunker=size-0` kept the
// node at 100 % CPU with the request hanging — so the shim refuses what Kubo refuses before js-ipfs sees it.
const MAX_CHUNK_SIZE = 1024 * 1024

function chunkerMistake (chunker) {
  if (chunker === null) return null
  if (!/^(size-\d+|rabin(-\d+){0,3}|buzhash)$/.test(chunker)) {
    return `unrecognized chunker option: ${chunker.slice(0, 50)}`
  }
  const sizes = chunker.split('-').slice(1).map(Number)
  if (sizes.some(size => size <= 0)) return 'chunker size must be greater than 0'
  if (sizes.some(size => size > MAX_CHUNK_SIZE)) {
    return `chunker parameters may not exceed the maximum chunk size of ${MAX_CHUNK_SIZE}`
  }
  return null
}

async function dagGet (ipfs, query, res) {
  // Kubo's dag/get encodes the node with `output-codec` (default dag-json); js-ipfs's HTTP API uses an older
  // JSON shape and ignores the option, so this call is served from js-ipfs's core API directly.
  const arg = query.get('arg')
  if (!arg) return kuboError(res, 400, 'argument "ref" is required', 1)
  const [cidText, ...path] = arg.replace(/^\/ipfs\//, '').split('/')
  let cid
  try {
    cid = CID.parse(cidText)
  } catch (err) {
    return kuboError(res, 400, `invalid path "${arg.slice(0, 200)}": ${err.message}`, 1)
  }
  const codec = query.get('output-codec') || 'dag-json'
  const encoders = { 'dag-json': dagJson.encode, json: dagJson.encode, 'dag-cbor': dagCbor.encode, cbor: dagCbor.encode }
  const encode = encoders[codec]
  if (!encode) return kuboError(res, 400, `unsupported output-codec "${codec.slice(0, 50)}" (dag-json, dag-cbor)`, 1)
  let value
  try {
    ({ value } = await ipfs.dag.get(cid, { path: path.join('/'), offline: true, timeout: 10000 }))
  } catch (err) {
    const [status, message, code] = translateError('dag/get', 500, String(err.message), query)
    return kuboError(res, status, message, code)
  }
  const body = Buffer.from(encode(value))
  res.writeHead(200, {
    'Content-Type': codec.includes('cbor') ? 'application/cbor' : 'application/json',
    'Content-Length': body.length
  })
  res.end(body)
}

function firstPartContent (body, boundary) {
  const start = body.indexOf('\r\n\r\n', body.indexOf(`--${boundary}`))
  const end = body.indexOf(`\r\n--${boundary}`, start)
  return start === -1 || end === -1 ? null : body.subarray(start + 4, end)
}

// Kubo's config/replace keeps the node's identity and refuses a private key in the new config; js-ipfs writes the
// file as given, so config/show's answer (the shim strips PrivKey) replaced back left a repo that never started
// again. The identity is the node's own: kept whatever the file says.
async function configReplace (ipfs, body, boundary, res) {
  const content = firstPartContent(body, boundary)
  let config
  try {
    config = JSON.parse(content === null ? '' : content.toString('utf8'))
  } catch {}
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    return kuboError(res, 400, 'failed to decode file as config', 1)
  }
  if (config.Identity?.PrivKey) return kuboError(res, 400, 'setting private key with API is not supported', 1)
  config.Identity = await ipfs.config.get('Identity')
  await ipfs.config.replace(config)
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 0 })
  res.end()
}

function forward (internal, req, query, body) {
  const headers = { ...req.headers, host: `127.0.0.1:${internal.port}` }
  if (body !== null) {
    headers['content-length'] = String(body.length)
    delete headers['transfer-encoding']
  }
  query.delete('cid-base')
  query.delete('upgrade-cidv0-in-output')
  const path = `${req.url.split('?')[0]}${query.size ? `?${query}` : ''}`
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: internal.port, method: req.method, path, headers, agent: internal.agent },
      resolve
    )
    upstream.on('error', reject)
    if (body !== null) upstream.end(body)
    else req.pipe(upstream)
  })
}

async function collect (stream) {
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function relay (call, upstream, originalQuery, res, publicApi) {
  const status = upstream.statusCode
  if (status === 200 && CONTENT_CALLS.has(call)) {
    // Kubo labels cat's bytes text/plain and the others octet-stream; js-ipfs said application/json.
    const headers = { 'Content-Type': call === 'cat' ? 'text/plain' : 'application/octet-stream' }
    if (upstream.headers['content-length']) headers['Content-Length'] = upstream.headers['content-length']
    res.writeHead(200, headers)
    upstream.pipe(res)
    return
  }
  const text = await collect(upstream)
  if (status !== 200) {
    let message = text.trim().slice(0, 500)
    try {
      message = String(JSON.parse(text).Message ?? message)
    } catch {}
    const [kuboStatus, kuboMessage, code] = translateError(call, status, message, originalQuery)
    return kuboError(res, kuboStatus, kuboMessage, code)
  }
  if (!/json/.test(upstream.headers['content-type'] || '')) {
    res.writeHead(200, { 'Content-Type': upstream.headers['content-type'] || 'text/plain' })
    return res.end(text)
  }
  const format = cidFormatter(originalQuery)
  const lines = text.split('\n').filter(line => line.trim()).map(line => {
    try {
      return JSON.stringify(kuboShape(call, mapCids(JSON.parse(line), format), publicApi))
    } catch {
      return line
    }
  })
  const out = lines.join('\n') + '\n'
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(out),
    ...(upstream.headers['x-stream-output'] ? { 'X-Stream-Output': '1' } : {}),
    ...(upstream.headers['x-chunked-output'] ? { 'X-Chunked-Output': '1' } : {})
  })
  res.end(out)
}

async function handle (ipfs, internal, publicApi, req, res) {
  let url
  try {
    url = new URL(req.url, 'http://127.0.0.1')
  } catch {
    return kuboError(res, 400, 'malformed request URL', 1) // e.g. "POST http://[ HTTP/1.1" was a 500
  }
  const call = url.pathname.replace(/^\/api\/v0\//, '').replace(/\/$/, '')
  const query = url.searchParams
  if (!url.pathname.startsWith('/api/v0/')) return kuboError(res, 404, `404 page not found: ${url.pathname}`, 3)
  if (req.method === 'POST' && call === 'dag/get') return dagGet(ipfs, query, res)
  const [key, value] = query.getAll('arg')
  const changesIdentity = call === 'config' && value !== undefined && /^identity\b/i.test(key)
  const namesPrivateKey = /PrivKey/i.test(query.getAll('arg').join(' '))
  if (req.method === 'POST' && call.startsWith('config') && (changesIdentity || namesPrivateKey)) {
    return kuboError(res, 400, 'cannot show or change private key through API', 1)
  }
  const cidBase = query.get('cid-base')
  if (cidBase !== null && !BASE_BY_NAME.has(cidBase)) {
    return kuboError(res, 400, `unsupported multibase encoding: ${cidBase.slice(0, 50)}`, 1) // was ignored
  }
  const badChunker = call === 'add' ? chunkerMistake(query.get('chunker')) : null
  if (badChunker) return kuboError(res, 400, badChunker, 1)
  const contentType = req.headers['content-type'] || ''
  let body = null
  if (req.method === 'POST' && /^multipart\/form-data/i.test(contentType)) {
    const boundary = boundaryOf(contentType)
    if (!boundary) return kuboError(res, 400, 'multipart request without a boundary', 1)
    body = typeUntypedParts(await readBody(req), boundary)
    // js-ipfs waits forever for the rest of a body cut before its closing delimiter; the whole body is here.
    if (!body.includes(`--${boundary}--`)) {
      return kuboError(res, 400, 'multipart body ended before its closing boundary', 1)
    }
    if (call === 'config/replace') return configReplace(ipfs, body, boundary, res)
  }
  const asked = new URLSearchParams(query) // forward() drops the output options the shim applies itself
  const upstream = await forward(internal, req, query, body)
  await relay(call, upstream, asked, res, publicApi)
}

// Starts the Kubo-contract server on 127.0.0.1:`port` (0 = any; a taken port falls back to any) in front of the
// js-ipfs API listening on `internalPort`. Resolves to the listening http.Server.
export async function serveKuboContract (ipfs, internalPort, port) {
  const internal = { port: internalPort, agent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }
  let publicApi = ''
  const server = http.createServer((req, res) => {
    handle(ipfs, internal, publicApi, req, res).catch(err => {
      if (res.headersSent) return res.destroy(err)
      const status = err.status || 500
      kuboError(res, status, String(err.message || err).slice(0, 500), status >= 500 ? 0 : 1)
    })
  })
  server.keepAliveTimeout = 65000
  const listen = p => new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(p, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  try {
    await listen(port)
  } catch (err) {
    if (err.code !== 'EADDRINUSE' || String(port) === '0') throw err
    await listen(0)
  }
  server.on('connection', socket => socket.setNoDelay(true))
  publicApi = `/ip4/127.0.0.1/tcp/${server.address().port}`
  return server
}
