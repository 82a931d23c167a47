/**
 * How the server listens, from its environment: `HOST` binds the address
 * (a server on 127.0.0.2 is not reached on 127.0.0.1), `BOXOFFICE_MAX_CONNECTIONS`
 * closes connections past the bound at once, and an empty
 * `BOXOFFICE_ADMIN_KEY` is refused at start like a short one rather than
 * silently disabling `/admin`.
 */
import { spawn } from "node:child_process"
import { connect, type Socket } from "node:net"
import { fileURLToPath } from "node:url"
import { afterEach, assert, describe, it } from "vitest"
import { freePort, runUntilExit } from "./support/ServerProcess.ts"

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

/** A memory server with `env`, answered once `/health` answers at `host`. */
const started = async (host: string, env: Record<string, string>) => {
  const port = await freePort()
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), BOXOFFICE_DEMO: "false", ...env },
    stdio: "ignore"
  })
  stops.push(() => child.kill("SIGTERM"))
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://${host}:${port}/health`).then(
        (r) => r.ok,
        () => false
      )
    )
      return port
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error("the server did not start")
}

/** Resolves with whether the connection was refused, or closed by the server before any answer. */
const refusedOrClosed = (host: string, port: number) =>
  new Promise<{ readonly refused: boolean; readonly socket?: Socket }>((resolve) => {
    const socket = connect(port, host)
    socket.once("error", () => resolve({ refused: true }))
    socket.once("connect", () => resolve({ refused: false, socket }))
  })

describe("the listener", () => {
  it("binds HOST only", async () => {
    const port = await started("127.0.0.2", { HOST: "127.0.0.2" })
    assert.isTrue((await refusedOrClosed("127.0.0.1", port)).refused)
    assert.isTrue((await fetch(`http://127.0.0.2:${port}/health`)).ok)
  })

  it("closes connections past BOXOFFICE_MAX_CONNECTIONS at once", async () => {
    const port = await started("127.0.0.1", { BOXOFFICE_MAX_CONNECTIONS: "2" })
    const open = [await refusedOrClosed("127.0.0.1", port), await refusedOrClosed("127.0.0.1", port)]
    const third = await refusedOrClosed("127.0.0.1", port)
    try {
      // Node accepts the third connection and closes it at once: it ends without a byte of an answer, well
      // before the keep-alive timeout (5 s) could have closed a served one.
      let received = ""
      third.socket!.on("data", (chunk) => (received += chunk))
      const startedMs = Date.now()
      await new Promise<void>((resolve) => {
        third.socket!.once("close", () => resolve())
        third.socket!.write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
      })
      assert.strictEqual(received, "")
      assert.isBelow(Date.now() - startedMs, 2_000)
    } finally {
      for (const { socket } of open) socket?.destroy()
    }
  })

  it("refuses an empty BOXOFFICE_ADMIN_KEY, secret or previous secret at start, saying why", async () => {
    const { code, output } = await runUntilExit({ PATH: process.env["PATH"], BOXOFFICE_ADMIN_KEY: "" })
    assert.notStrictEqual(code, 0)
    assert.include(output, "BOXOFFICE_ADMIN_KEY is empty")
    for (const name of ["BOXOFFICE_SECRET", "BOXOFFICE_SECRET_PREVIOUS"]) {
      const refused = await runUntilExit({ PATH: process.env["PATH"], [name]: "" })
      assert.notStrictEqual(refused.code, 0)
      assert.include(refused.output, `${name} is empty`)
    }
  })
})
