/**
 * What the queue's `Unavailable` says: where Redis is (host and port, never
 * the password) and why it cannot be reached. With the offline queue off, a
 * command sent while the client is away fails with "Stream isn't writeable
 * and enableOfflineQueue options is false", which names neither; the
 * client's own last connection error (`connect ECONNREFUSED
 * 127.0.0.1:6390`) does, so that is the cause reported.
 *
 * @internal
 */
import { Unavailable } from "@boxoffice/core"
import { Cluster, type Redis } from "ioredis"

const addresses = new WeakMap<Redis | Cluster, string>()
const lastErrors = new WeakMap<Redis | Cluster, unknown>()

/**
 * Remembers where a client made here connects, and its latest connection
 * error until it is ready again. Its `error` events are handled here (they
 * reach callers as failed commands; unhandled, ioredis prints each one).
 */
export const trackConnection = (client: Redis | Cluster, address: string): void => {
  addresses.set(client, address)
  client.on("error", (error: unknown) => lastErrors.set(client, error))
  client.on("ready", () => lastErrors.delete(client))
}

/** `host:port` of a client, several comma-separated for a cluster, from what it was made with. */
export const addressOf = (client: Redis | Cluster): string => {
  const known = addresses.get(client)
  if (known !== undefined) return known
  if (client instanceof Cluster) {
    const nodes = client.nodes().map((node) => `${node.options.host}:${node.options.port}`)
    return nodes.length > 0 ? nodes.join(",") : "a Redis Cluster"
  }
  return `${client.options.host}:${client.options.port}`
}

/** The client's latest connection error while it is not connected, if it was made here. */
export const lastConnectionError = (client: Redis | Cluster): unknown => lastErrors.get(client)

/** Messages of commands ioredis refuses because the client is not connected. */
const notConnected = ["Stream isn't writeable", "Connection is closed", "max retries per request"]

/** Redis is unreachable for `client`: the address, and the connection error behind a refused command. */
export const unavailableOf = (client: Redis | Cluster, cause: unknown): Unavailable => {
  const message = cause instanceof Error ? cause.message : ""
  const connection = lastErrors.get(client)
  return new Unavailable({
    store: "redis",
    address: addressOf(client),
    cause: connection !== undefined && notConnected.some((text) => message.includes(text)) ? connection : cause
  })
}
