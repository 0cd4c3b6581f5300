let warned = false
let warn = message => {
  if (process.env.NODE_ENV !== 'production' && !warned) {
    console.warn(message)
    warned = true
  }
}
export default warn
