/** V8's limit on the frames an `Error` records (other engines may lack it, or freeze `Error`). */
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number | undefined }

const writable = (() => {
  const descriptor = Object.getOwnPropertyDescriptor(V8Error, "stackTraceLimit")
  return descriptor !== undefined && (descriptor.writable === true || descriptor.set !== undefined)
})()

/** Stops errors recording stack frames; answers what `restoreStackTraces` needs. */
export const suspendStackTraces = (): number | undefined => {
  if (!writable) return undefined
  const limit = V8Error.stackTraceLimit
  V8Error.stackTraceLimit = 0
  return limit
}

/** Undoes `suspendStackTraces`. */
export const restoreStackTraces = (limit: number | undefined): void => {
  if (writable) V8Error.stackTraceLimit = limit
}
