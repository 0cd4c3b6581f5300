let { urlAlphabet } = require('./url-alphabet/index.js')

// The browser has crypto.getRandomValues.
let nanoid = (size = 21) =>
  crypto.getRandomValues(new Uint8Array(size)).reduce((id, byte) => id + urlAlphabet[byte & 63], '')

module.exports = { nanoid, urlAlphabet }
