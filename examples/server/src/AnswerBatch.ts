/**
 * Answers written together at the end of the event loop's I/O phase rather
 * than each the moment it is ready. On loopback, and wherever the client or a
 * proxy shares the host, the kernel runs the reader's side of every write in
 * the writer's system call, waking the reader each time it has gone back to
 * sleep: when answers take tens of microseconds each, that is one wake-up per
 * answer, and under a poll storm the largest single cost of the queue
 * shortcut. Written together, the first wakes the reader and the rest find it
 * awake. An answer waits at most for the rest of the requests that arrived
 * with it.
 */
import type { PlainAnswer } from "@boxoffice/http"
import type { ServerResponse } from "node:http"

export interface AnswerBatch {
  /** Writes `answer` to `response` at the end of this turn of the event loop. */
  readonly write: (response: ServerResponse, answer: PlainAnswer) => void
}

const writeNow = (response: ServerResponse, answer: PlainAnswer) => {
  if (response.destroyed) return
  response.writeHead(answer.status, {
    ...answer.headers,
    "content-type": answer.contentType,
    "content-length": Buffer.byteLength(answer.body)
  })
  response.end(answer.body)
}

/**
 * A batch of its own; `setImmediate` runs after the I/O phase, once every
 * request that arrived in it has been read.
 *
 * @example
 * ```ts
 * const batch = makeAnswerBatch()
 * batch.write(response, { status: 200, contentType: "application/json", body: "{}" })
 * ```
 */
export const makeAnswerBatch = (): AnswerBatch => {
  let responses: Array<ServerResponse> = []
  let answers: Array<PlainAnswer> = []
  const flush = () => {
    const writing = responses
    const written = answers
    responses = []
    answers = []
    for (let i = 0; i < writing.length; i++) writeNow(writing[i]!, written[i]!)
  }
  return {
    write: (response, answer) => {
      if (responses.length === 0) setImmediate(flush)
      responses.push(response)
      answers.push(answer)
    }
  }
}
