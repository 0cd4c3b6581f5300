let crypto = require('crypto')

let { urlAlphabet } = require('./url-alphabet')

// A pool of random bytes, refilled when it runs out.
const POOL_SIZE_MULTIPLIER = 128
let pool, poolOffset

/* Fill the pool when it
   cannot serve the request. */
let fillPool = bytes => {
  if (!pool || pool.length < bytes) {
    pool = Buffer.allocUnsafe(bytes * POOL_SIZE_MULTIPLIER)
    crypto.randomFillSync(pool)
    poolOffset = 0
  }
  poolOffset += bytes
}

let nanoid = (size = 21) => {
  fillPool((size -= 0))
  let id = ''
  for (let i = poolOffset - size; i < poolOffset; i++) {
    id += urlAlphabet[pool[i] & 63] // the alphabet has 64 symbols
  }
  return id
}

module.exports = { nanoid, urlAlphabet }
