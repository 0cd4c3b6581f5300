import { urlAlphabet } from './url-alphabet/index.js'
let nanoid = (size = 21) =>
  crypto.getRandomValues(new Uint8Array(size)).reduce((id, byte) => id + urlAlphabet[byte & 63], '')
export { nanoid, urlAlphabet }
