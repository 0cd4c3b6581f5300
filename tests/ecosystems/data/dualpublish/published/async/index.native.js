import { getRandomBytesAsync } from 'expo-random'
import { urlAlphabet } from '../url-alphabet/index.js'
let nanoid = async (size = 21) => {
  let bytes = await getRandomBytesAsync(size)
  let id = ''
  while (size--) id += urlAlphabet[bytes[size] & 63]
  return id
}
export { nanoid }
