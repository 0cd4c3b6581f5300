let warned = false
let warn = message => {
  if (true && !warned) {
    console.warn(message)
    warned = true
  }
}
export default warn
