/**
 * A loopback TCP proxy that a test can cut and restore, to make a store
 * unreachable without stopping the server other test files share.
 *
 * @since 0.1.0
 */
import { createServer, type Server, type Socket, connect } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Refuses new connections and resets the open ones. */
  readonly cut: () => Promise<void>
  /** Accepts connections again on the same port. */
  readonly restore: () => Promise<void>
  /** Stops passing bytes on, in both directions; connections stay open and calls on them wait. */
  readonly hold: () => void
  /** Resolves once a byte waits behind `hold`: a call has reached the proxy and is held there. */
  readonly holding: () => Promise<void>
  /** Passes the held bytes on, in order, and all later ones. */
  readonly release: () => void
  readonly close: () => Promise<void>
}

/**
 * Starts a proxy on a free loopback port in front of `targetPort`.
 *
 * @example
 * ```ts
 * import { startTcpProxy } from "@boxoffice/testing"
 * const proxy = await startTcpProxy(6379)
 * await proxy.cut()      // the store is "down"
 * await proxy.restore()  // and back
 * proxy.hold()           // calls in flight wait…
 * await proxy.holding()  // …once one has reached the proxy…
 * proxy.release()        // …they go on
 * ```
 * @category outages
 */
export const startTcpProxy = async (targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> => {
  const sockets = new Set<Socket>()
  let held: Array<[Socket, Buffer]> | null = null
  let onHeld: Array<() => void> = []
  const forward = (to: Socket) => (chunk: Buffer) => {
    if (held === null) {
      to.write(chunk)
      return
    }
    held.push([to, chunk])
    for (const notify of onHeld) notify()
    onHeld = []
  }
  const makeServer = () =>
    createServer((client) => {
      const upstream = connect(targetPort, targetHost)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.on("data", forward(upstream))
      upstream.on("data", forward(client))
      client.on("end", () => upstream.end())
      upstream.on("end", () => client.end())
    })
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port))
    )
  let server = makeServer()
  const port = await listen(server, 0)
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.resetAndDestroy()
      server.close(() => resolve())
    })
  return {
    port,
    cut: stop,
    restore: async () => {
      server = makeServer()
      await listen(server, port)
    },
    hold: () => {
      held ??= []
    },
    holding: () =>
      new Promise<void>((resolve) => {
        if (held !== null && held.length > 0) resolve()
        else onHeld.push(resolve)
      }),
    release: () => {
      const waiting = held ?? []
      held = null
      for (const [to, chunk] of waiting) if (!to.destroyed) to.write(chunk)
    },
    close: stop
  }
}
