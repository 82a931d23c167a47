/**
 * `CommandBatch`: the commands of one turn leave in writes of at most
 * `commandsPerWrite`, the last of them at the turn's end, and each gets its
 * own reply. The connection and Redis are real; the test only counts the
 * writes the socket makes.
 */
import { afterAll, assert, describe, it } from "vitest"
import { makeCommandBatch } from "../src/internal/CommandBatch.ts"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const client = connect()
const prefix = runPrefix()
afterAll(async () => {
  await deleteKeys(client, prefix)
  client.disconnect()
})

/** The commands per write the socket made while `run` ran and its replies came back. */
const writesDuring = async <A>(run: () => Promise<A>) => {
  await client.ping()
  const stream = client.stream as unknown as {
    _write: (...args: Array<unknown>) => void
    _writev: (chunks: Array<unknown>, ...rest: Array<unknown>) => void
  }
  const write = stream._write
  const writev = stream._writev
  const writes: Array<number> = []
  stream._write = function (this: unknown, ...args: Array<unknown>) {
    writes.push(1)
    return write.apply(this, args)
  }
  stream._writev = function (this: unknown, chunks: Array<unknown>, ...rest: Array<unknown>) {
    writes.push(chunks.length)
    return writev.apply(this, [chunks, ...rest])
  }
  try {
    return { result: await run(), writes }
  } finally {
    stream._write = write
    stream._writev = writev
  }
}

describe("CommandBatch", () => {
  it("sends the commands of one turn in writes of at most the batch, each with its reply", async () => {
    const batched = makeCommandBatch(client, 8)
    const { result, writes } = await writesDuring(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          batched(() => client.set(`${prefix}k${i}`, `v${i}`).then(() => client.get(`${prefix}k${i}`)))
        )
      )
    )
    assert.deepStrictEqual(
      result,
      Array.from({ length: 20 }, (_, i) => `v${i}`)
    )
    // The 20 SETs of the turn: two full writes, then the last four at its end. The GETs follow as the replies arrive.
    assert.deepStrictEqual(writes.slice(0, 3), [8, 8, 4])
    assert.strictEqual(
      writes.reduce((a, b) => a + b, 0),
      40
    )
  })

  it("holds a turn's commands until its end, not past it", async () => {
    const batched = makeCommandBatch(client, 8)
    await client.ping()
    const stream = client.stream
    const replies = [batched(() => client.echo("a")), batched(() => client.echo("b"))]
    assert.strictEqual(stream.writableCorked, 1, "held during the turn")
    await new Promise((resolve) => setImmediate(resolve))
    assert.strictEqual(stream.writableCorked, 0, "sent at its end")
    assert.deepStrictEqual(await Promise.all(replies), ["a", "b"])
  })

  it("with a batch of one, sends each command at once", async () => {
    const single = makeCommandBatch(client, 1)
    await client.ping()
    const pending = single(() => client.echo("alone"))
    assert.strictEqual(client.stream.writableCorked, 0)
    assert.strictEqual(await pending, "alone")
  })
})
