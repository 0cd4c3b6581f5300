import { nanoid as nanoidSync } from '../index.js'
let nanoid = (size = 21) => Promise.resolve(nanoidSync(size))
export { nanoid }
