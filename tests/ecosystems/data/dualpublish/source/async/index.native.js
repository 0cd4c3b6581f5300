let { getRandomBytesAsync } = require('expo-random')

let { urlAlphabet } = require('../url-alphabet')

let nanoid = async (size = 21) => {
  let bytes = await getRandomBytesAsync(size)
  let id = ''
  while (size--) id += urlAlphabet[bytes[size] & 63]
  return id
}

module.exports = { nanoid }
