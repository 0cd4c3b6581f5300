let { urlAlphabet } = require('./url-alphabet/index.cjs')
let nanoid = (size = 21) =>
  crypto.getRandomValues(new Uint8Array(size)).reduce((id, byte) => id + urlAlphabet[byte & 63], '')
module.exports = { nanoid, urlAlphabet }
