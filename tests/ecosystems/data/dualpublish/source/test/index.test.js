let { nanoid } = require('../index.js')

if (nanoid().length !== 21) throw new Error('wrong length')
