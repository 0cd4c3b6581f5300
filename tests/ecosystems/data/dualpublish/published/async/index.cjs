let { nanoid: nanoidSync } = require('../index.cjs')
let nanoid = (size = 21) => Promise.resolve(nanoidSync(size))
module.exports = { nanoid }
