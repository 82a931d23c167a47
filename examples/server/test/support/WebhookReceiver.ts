/**
 * A webhook receiver on a free loopback port, as a host would run one: each
 * delivery is checked with standardwebhooks' own verifier, recorded, and
 * answered as the test says (a status, or no answer at all). Tests wait on
 * what it received, never on time.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"

/** The body a delivery carries (docs/webhooks.md). */
export interface EventBody {
  readonly type: string
  readonly timestamp: string
  readonly data: {
    readonly eventId: string
    readonly sequence: number
    readonly concertId: string | null
    readonly userId: string | null
    readonly [field: string]: unknown
  }
}

/** One request the receiver got. */
export interface Receipt {
  readonly headers: IncomingHttpHeaders
  /** The raw body, as signed. */
  readonly text: string
  readonly body: EventBody
  /** Whether the receiver's verifier accepted the signature. */
  readonly verified: boolean
  /** What the receiver answered; null while it holds the request unanswered. */
  readonly status: number | null
  /** `Date.now()` when the body had arrived. */
  readonly receivedAtMs: number
}

/** How to answer a delivery: a status, or `"stall"` to hold it open until the receiver closes. */
export type Reply = number | "stall"

export interface WebhookReceiver {
  readonly url: string
  readonly receipts: ReadonlyArray<Receipt>
  /** Sets how the following deliveries are answered (`204` until told otherwise). */
  readonly reply: (answer: (body: EventBody, receipt: number) => Reply) => void
  /** Resolves once `done` holds over the receipts; rejects after `withinMs`, saying what was missing. */
  readonly until: (what: string, done: (receipts: ReadonlyArray<Receipt>) => boolean, withinMs: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** The group an event is ordered in: its concert, or its user's events without one. */
export const groupOf = (body: EventBody) => body.data.concertId ?? `user:${body.data.userId}`

/** The receipts that were answered 2xx: the events delivered. */
export const delivered = (receipts: ReadonlyArray<Receipt>) =>
  receipts.filter((receipt) => receipt.status !== null && receipt.status >= 200 && receipt.status < 300)

export const startWebhookReceiver = async (secret: string): Promise<WebhookReceiver> => {
  const verifier = new Webhook(secret)
  const receipts: Array<Receipt> = []
  const waiters = new Set<() => void>()
  let answer: (body: EventBody, receipt: number) => Reply = () => 204
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      let verified = true
      try {
        verifier.verify(text, request.headers as Record<string, string>)
      } catch {
        verified = false
      }
      const body = JSON.parse(text) as EventBody
      const reply = answer(body, receipts.length)
      receipts.push({
        headers: request.headers,
        text,
        body,
        verified,
        status: reply === "stall" ? null : reply,
        receivedAtMs: Date.now()
      })
      if (reply !== "stall") response.writeHead(reply).end()
      for (const waiter of waiters) waiter()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/boxoffice`,
    receipts,
    reply: (next) => {
      answer = next
    },
    until: (what, done, withinMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!done(receipts)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          const seen = receipts.map((r) => `${r.body.data.sequence} ${r.body.type} ${r.status ?? "stalled"}`)
          reject(new Error(`no ${what} within ${withinMs} ms; received:\n${seen.join("\n")}`))
        }, withinMs)
        waiters.add(check)
        check()
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
