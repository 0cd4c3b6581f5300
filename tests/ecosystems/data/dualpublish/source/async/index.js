let { nanoid: nanoidSync } = require('../index.js')

// Node has no async source: resolve with the sync one.
let nanoid = (size = 21) => Promise.resolve(nanoidSync(size))

module.exports = { nanoid }
