let warned = false
let warn = message => {
  if (false && !warned) {
    console.warn(message)
    warned = true
  }
}
export default warn
