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
  /** Stops passing bytes on the open connections, which stay open: calls on them wait. */
  readonly hold: () => void
  /** Passes the held bytes on, and all later ones. */
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
 * proxy.release()        // …and go on
 * ```
 * @category outages
 */
export const startTcpProxy = async (targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> => {
  const sockets = new Set<Socket>()
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
      client.pipe(upstream).pipe(client)
    })
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))
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
      for (const socket of sockets) socket.pause()
    },
    release: () => {
      for (const socket of sockets) socket.resume()
    },
    close: stop
  }
}
