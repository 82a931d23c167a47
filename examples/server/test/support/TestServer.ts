/**
 * A real server on a free loopback port, in this process, and a small
 * fetch helper that speaks the contract's headers.
 */
import { HttpServer } from "effect/http"
import { ManagedRuntime, Option, Redacted } from "effect"
import { RateLimitSettings } from "@boxoffice/http"
import { serverLayer } from "../../src/App.ts"
import type { ServerConfig } from "../../src/ServerConfig.ts"
import { redisUrl, type Stores } from "./Stores.ts"

export const adminKey = "test-admin-key-of-the-http-suite"

export interface RunningServer {
  readonly url: string
  readonly close: () => Promise<void>
}

export const startServer = async (overrides: Partial<ServerConfig> = {}): Promise<RunningServer> => {
  const config: ServerConfig = {
    port: 0,
    store: "memory",
    databaseUrl: Option.none(),
    postgresPoolSize: 20,
    redisUrl: Option.none(),
    redisKeyPrefix: "boxoffice:test:",
    secret: Redacted.make("test-secret-of-the-http-suite-32b"),
    adminKey: Option.some(Redacted.make(adminKey)),
    demo: false,
    // Tests make many users from one address; the rate-limit tests turn limits on themselves.
    rateLimits: RateLimitSettings.off,
    ...overrides
  }
  // Quiet unless a test asks for an access log.
  const runtime = ManagedRuntime.make(serverLayer(config, { logRequests: overrides.accessLog !== undefined }))
  const address = await runtime.runPromise(HttpServer.HttpServer.useSync((server) => server.address))
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
  return { url: `http://127.0.0.1:${address.port}`, close: () => runtime.dispose() }
}

/** A server on Postgres + Redis, over throwaway stores. */
export const startServerOn = (stores: Stores, overrides: Partial<ServerConfig> = {}): Promise<RunningServer> =>
  startServer({
    store: "postgres",
    databaseUrl: Option.some(Redacted.make(stores.databaseUrl)),
    redisUrl: Option.some(Redacted.make(redisUrl)),
    redisKeyPrefix: stores.redisKeyPrefix,
    ...overrides
  })

export interface Answer {
  readonly status: number
  readonly contentType: string
  readonly body: any
}

export interface CallOptions {
  readonly token?: string
  readonly queueToken?: string
  readonly idempotencyKey?: string
  readonly body?: unknown
  /** Sent as is, for malformed bodies. */
  readonly rawBody?: string
}

/** One request; the body is parsed when it is JSON. */
export const call = async (base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
  if (options.queueToken !== undefined) headers["queue-token"] = options.queueToken
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  const contentType = response.headers.get("content-type") ?? ""
  const text = await response.text()
  return {
    status: response.status,
    contentType,
    body: contentType.includes("json") && text !== "" ? JSON.parse(text) : text
  }
}

/** A registered user's id and access token. */
export const newUser = async (base: string) => {
  const answer = await call(base, "POST", "/users")
  return answer.body as { userId: string; accessToken: string }
}

/** A concert with one date 30 days ahead, through the admin route. */
export const newConcert = async (base: string, body: Record<string, unknown> = {}) => {
  const answer = await call(base, "POST", "/admin/concerts", {
    token: adminKey,
    body: {
      title: "HTTP test concert",
      dates: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), price: 10_000 }],
      ...body
    }
  })
  if (answer.status !== 201) throw new Error(`concert not created: ${JSON.stringify(answer)}`)
  return answer.body as { concertId: string; dates: Array<{ dateId: string; seatCount: number }> }
}

/** A user admitted to the concert's queue. */
export const admittedUser = async (base: string, concertId: string) => {
  const user = await newUser(base)
  const joined = await call(base, "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
  if (joined.body.status !== "active") throw new Error(`not admitted: ${JSON.stringify(joined.body)}`)
  return { ...user, queueToken: joined.body.queueToken as string }
}

/** Asserts an RFC 9457 problem with the given status and code. */
export const isProblem = (answer: Answer, status: number, code: string): boolean =>
  answer.status === status &&
  answer.contentType.startsWith("application/problem+json") &&
  answer.body.code === code &&
  answer.body.status === status &&
  typeof answer.body.type === "string" &&
  typeof answer.body.title === "string" &&
  typeof answer.body.detail === "string"

/** The status events of an SSE response, one at a time; heartbeats are skipped. */
export const eventsOf = (response: Response) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const next = async (): Promise<Record<string, any>> => {
    while (!buffer.includes("\n\n")) {
      const { value, done } = await reader.read()
      if (done) throw new Error("the stream ended")
      buffer += decoder.decode(value, { stream: true })
    }
    const [frame, ...rest] = buffer.split("\n\n")
    buffer = rest.join("\n\n")
    const data = frame!
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .join("")
    const event = JSON.parse(data) as Record<string, any>
    return event["status"] === undefined ? next() : event
  }
  return { next, close: () => reader.cancel() }
}
