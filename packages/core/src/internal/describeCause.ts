/**
 * One line that says why a store call failed, from whatever its driver
 * threw: the error's message with its code when the message lacks it
 * (`database "x" does not exist (3D000)`), the addresses of an aggregate
 * whose own message is empty (Node's connection attempts to several
 * addresses), and the error that caused it, one level at a time. Never
 * throws, whatever it is given.
 *
 * @internal
 */

interface ErrorLike {
  readonly name?: unknown
  readonly message?: unknown
  readonly code?: unknown
  readonly errors?: unknown
  readonly cause?: unknown
  readonly address?: unknown
  readonly port?: unknown
}

const maxDepth = 3
const maxLength = 500

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "")

const describe = (cause: unknown, depth: number): string => {
  if (typeof cause !== "object" || cause === null) return cause === undefined ? "" : String(cause)
  const error = cause as ErrorLike
  let line = text(error.message)
  const code = text(error.code)
  if (line === "" && Array.isArray(error.errors)) {
    line = error.errors
      .map((inner) => describe(inner, depth + 1))
      .filter((inner) => inner !== "")
      .join("; ")
  }
  if (line === "" && code !== "") {
    const address = text(error.address)
    line = address === "" ? code : `${code} ${address}${error.port === undefined ? "" : `:${String(error.port)}`}`
  }
  if (code !== "" && !line.includes(code)) line = `${line} (${code})`
  if (depth < maxDepth && error.cause !== undefined) {
    // A cause whose words the line already carries (a wrapper that quotes it) adds nothing.
    const quoted =
      typeof error.cause === "object" && error.cause !== null ? text((error.cause as ErrorLike).message) : ""
    const inner = quoted !== "" && line.includes(quoted) ? "" : describe(error.cause, depth + 1)
    if (inner !== "" && !line.includes(inner)) line = line === "" ? inner : `${line}, from ${inner}`
  }
  return line === "" ? text(error.name) : line
}

export const describeCause = (cause: unknown): string => {
  let line: string
  try {
    line = describe(cause, 0)
  } catch {
    line = ""
  }
  if (line === "") return "no reason given"
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line
}
