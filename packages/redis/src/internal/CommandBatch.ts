/**
 * Commands sent in one turn of the event loop leave in writes of up to
 * `commandsPerWrite`, the rest of a turn's at its end, rather than one write
 * each. The Redis queue sends its calls other than polls and joins through
 * it; polls and joins leave as turn groups (`TurnGroups.ts`). Every write
 * to Redis over loopback runs Redis's receive path in our system call and
 * wakes it, and Redis reads and replies once per write, so a call sent
 * alone pays both. Batches small enough for Redis to start on the first
 * while the server reads the next requests keep the two working side by
 * side.
 */
import type { Cluster, Redis } from "ioredis"

/** `send` runs inside the current batch; what it writes to the connection leaves with the batch. */
export type CommandBatch = <A>(send: () => A) => A

/**
 * A batch on `client`'s connection. A cluster client has a connection per
 * node, which it picks per command, so its commands leave one by one.
 *
 * @example
 * ```ts
 * const batched = makeCommandBatch(client, 16)
 * const reply = batched(() => client.get("key"))
 * ```
 */
export const makeCommandBatch = (client: Redis | Cluster, commandsPerWrite: number): CommandBatch => {
  if (client.isCluster || commandsPerWrite <= 1) return (send) => send()
  const connection = client as Redis
  let corked: { readonly stream: Redis["stream"]; commands: number } | undefined
  const release = () => {
    const batch = corked
    corked = undefined
    batch?.stream.uncork()
  }
  return (send) => {
    const stream = connection.stream
    // Before the first connection there is nothing to cork, and a command fails at once anyway.
    if (stream === undefined) return send()
    if (corked === undefined || corked.stream !== stream) {
      release()
      stream.cork()
      corked = { stream, commands: 0 }
      setImmediate(release)
    }
    try {
      return send()
    } finally {
      if (corked !== undefined && ++corked.commands >= commandsPerWrite) release()
    }
  }
}
