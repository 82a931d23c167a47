/**
 * The server over a host's identity provider (`BOXOFFICE_JWT_*`): a local
 * JWKS endpoint serves a key made with jose, and tokens signed with it
 * join the queue and poll, through the queue shortcut (the exact paths) and
 * through HttpApi (`?via=contract`) alike. `POST /users` is 404: the
 * provider issues the accounts. Also: the configuration's refusals, and a
 * demo secret rotated with `BOXOFFICE_SECRET_PREVIOUS`.
 */
import { userIdOfSubject } from "@boxoffice/core"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { createServer, type Server } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { serverConfig } from "../src/ServerConfig.ts"
import { call, isProblem, newConcert, newUser, type RunningServer, startServer } from "./support/TestServer.ts"

const issuer = "https://login.example.test/"
const audience = "https://tickets.example.test"

let keys: Awaited<ReturnType<typeof generateKeyPair>>
let jwksServer: Server
let jwksUrl: string
let jwksFailing = false
let server: RunningServer

/** A token of the host's provider for `sub`; `key` and `aud` other than the provider's for the refusals. */
const hostToken = (
  sub: string,
  options: {
    readonly aud?: string
    readonly key?: Awaited<ReturnType<typeof generateKeyPair>>
    readonly kid?: string
  } = {}
) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: "ES256", kid: options.kid ?? "host-key-1" })
    .setIssuer(issuer)
    .setAudience(options.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime("10 minutes")
    .sign((options.key ?? keys).privateKey)

beforeAll(async () => {
  keys = await generateKeyPair("ES256")
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "host-key-1", alg: "ES256", use: "sig" }
  jwksServer = createServer((_request, response) => {
    if (jwksFailing) response.writeHead(503).end()
    else response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve))
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/.well-known/jwks.json`
  server = await startServer({
    jwt: Option.some({ source: { jwksUrl }, options: { issuer, audience, jwksMaxAgeSeconds: 0 } })
  })
}, 30_000)
afterAll(async () => {
  await server?.close()
  await new Promise<void>((resolve) => jwksServer?.close(() => resolve()))
})

interface WholeAnswer {
  readonly status: number
  readonly contentType: string
  readonly body: string
}

const send = async (path: string, method: string, headers: Record<string, string>): Promise<WholeAnswer> => {
  const response = await fetch(`${server.url}${path}`, { method, headers })
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: await response.text()
  }
}

/** The same request through the queue shortcut (the exact path) and through HttpApi (`?via=contract`). */
const both = async (method: string, path: string, headers: Record<string, string>) => {
  const shortcut = await send(path, method, headers)
  const contract = await send(`${path}?via=contract`, method, headers)
  return { shortcut, contract }
}

describe("a server over the host's identity provider", () => {
  it("answers POST /users with 404 not-found: accounts come from the provider", async () => {
    const answer = await call(server.url, "POST", "/users")
    assert.isTrue(isProblem(answer, 404, "not-found"), JSON.stringify(answer))
    assert.strictEqual(answer.body.detail, "accounts come from the host's identity provider")
  })

  it("lets a host-issued JWT join the queue and poll, through the shortcut and through HttpApi", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 10 } })
    for (const [sub, path] of [
      ["auth0|alice", `/concerts/${concert.concertId}/queue`],
      ["bob@example.test", `/concerts/${concert.concertId}/queue?via=contract`]
    ] as const) {
      const token = await hostToken(sub)
      const joined = await send(path, "POST", { authorization: `Bearer ${token}` })
      assert.strictEqual(joined.status, 201, joined.body)
      const { queueToken, status } = JSON.parse(joined.body)
      assert.strictEqual(status, "active")
      const polls = await both("GET", "/queue/status", { authorization: `Bearer ${token}`, "queue-token": queueToken })
      assert.strictEqual(polls.shortcut.status, 200, polls.shortcut.body)
      assert.deepStrictEqual(polls.shortcut, polls.contract)
      assert.strictEqual(JSON.parse(polls.shortcut.body).status, "active")
      // The user is the engine's id of the sub: another sub's token does not own this queue token.
      const other = await both("GET", "/queue/status", {
        authorization: `Bearer ${await hostToken(`${sub}-other`)}`,
        "queue-token": queueToken
      })
      assert.strictEqual(other.shortcut.status, 403)
      assert.deepStrictEqual(other.shortcut, other.contract)
    }
    // A UUID subject is the engine's user id itself, as the wallet shows to its owner.
    const uuid = "0b6f3a4e-64b1-4c5e-9d1f-2f6a7c8d9e0f"
    assert.strictEqual(userIdOfSubject(uuid.toUpperCase()), uuid)
    const wallet = await call(server.url, "GET", "/wallet", { token: await hostToken(uuid.toUpperCase()) })
    assert.strictEqual(wallet.status, 200)
  })

  it("refuses a JWT that fails a check as unauthenticated, alike on both paths", async () => {
    const concert = await newConcert(server.url)
    const wrongAudience = await hostToken("carol", { aud: "https://elsewhere.example.test" })
    const answers = await both("POST", `/concerts/${concert.concertId}/queue`, {
      authorization: `Bearer ${wrongAudience}`
    })
    assert.strictEqual(answers.shortcut.status, 401)
    assert.strictEqual(answers.shortcut.contentType, "application/problem+json")
    assert.deepStrictEqual(answers.shortcut, answers.contract)
    assert.strictEqual(
      JSON.parse(answers.shortcut.body).detail,
      "the access token's audience (aud) does not include this server"
    )
    // A demo token means nothing here.
    const demo = await both("POST", `/concerts/${concert.concertId}/queue`, {
      authorization: "Bearer at2.AAAAAAAA.0b6f3a4e-64b1-4c5e-9d1f-2f6a7c8d9e0f.1900000000.sig"
    })
    assert.strictEqual(demo.shortcut.status, 401)
  })

  it("answers 503 unavailable, not 401, while the provider's keys cannot be read", async () => {
    const concert = await newConcert(server.url)
    const token = await hostToken("dave")
    // A key this server has not seen yet: while the provider fails, it cannot say whether the key is the provider's.
    const newKey = await hostToken("erin", { key: await generateKeyPair("ES256"), kid: "host-key-2" })
    jwksFailing = true
    const answers = await both("POST", `/concerts/${concert.concertId}/queue`, {
      authorization: `Bearer ${newKey}`
    }).finally(() => {
      jwksFailing = false
    })
    assert.strictEqual(answers.shortcut.status, 503, answers.shortcut.body)
    assert.strictEqual(JSON.parse(answers.shortcut.body).code, "unavailable")
    assert.deepStrictEqual(answers.shortcut, answers.contract)
    // The keys it fetched before still verify their tokens, the provider up or down.
    jwksFailing = true
    const joined = await send(`/concerts/${concert.concertId}/queue`, "POST", {
      authorization: `Bearer ${token}`
    }).finally(() => {
      jwksFailing = false
    })
    assert.strictEqual(joined.status, 201)
  })
})

describe("the identity configuration", () => {
  const read = (env: Record<string, string>) =>
    Effect.runPromise(
      Effect.result(serverConfig).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
  const refusal = async (env: Record<string, string>) => {
    const result = await read(env)
    return result._tag === "Failure" ? String((result.failure as { message?: string }).message) : "accepted"
  }
  const secret = "s".repeat(32)

  it("takes a JWKS URL or a public key, not both, and each needs the issuer and the audience", async () => {
    const both = { BOXOFFICE_JWT_ISSUER: issuer, BOXOFFICE_JWT_AUDIENCE: audience }
    assert.include(
      await refusal({ ...both, BOXOFFICE_JWT_JWKS_URL: "https://a.test/jwks", BOXOFFICE_JWT_PUBLIC_KEY: "x" }),
      "not both"
    )
    assert.include(
      await refusal({ BOXOFFICE_JWT_JWKS_URL: "https://a.test/jwks", BOXOFFICE_JWT_ISSUER: issuer }),
      "needs BOXOFFICE_JWT_ISSUER and BOXOFFICE_JWT_AUDIENCE"
    )
    assert.include(await refusal(both), "need BOXOFFICE_JWT_JWKS_URL or BOXOFFICE_JWT_PUBLIC_KEY")
    assert.include(await refusal({ ...both, BOXOFFICE_JWT_JWKS_URL: "file:///etc/keys" }), "http(s) URL")
    assert.include(await refusal({ ...both, BOXOFFICE_JWT_PUBLIC_KEY: "{not json" }), "not a JWK's JSON")
    const withUrl = await read({ ...both, BOXOFFICE_JWT_JWKS_URL: "https://a.test/jwks" })
    assert.isTrue(withUrl._tag === "Success" && Option.isSome(withUrl.success.jwt ?? Option.none()))
    const withPem = await read({ ...both, BOXOFFICE_JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END" })
    assert.deepStrictEqual(
      withPem._tag === "Success" ? Option.getOrUndefined(withPem.success.jwt ?? Option.none())?.source : undefined,
      { publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END" }
    )
    const none = await read({})
    assert.isTrue(none._tag === "Success" && Option.isNone(none.success.jwt ?? Option.none()))
  })

  it("takes BOXOFFICE_SECRET_PREVIOUS of at least 32 bytes, beside BOXOFFICE_SECRET", async () => {
    assert.include(
      await refusal({ BOXOFFICE_SECRET: secret, BOXOFFICE_SECRET_PREVIOUS: "p".repeat(31) }),
      "BOXOFFICE_SECRET_PREVIOUS must be at least 32 bytes"
    )
    assert.include(await refusal({ BOXOFFICE_SECRET_PREVIOUS: "p".repeat(32) }), "needs BOXOFFICE_SECRET")
    assert.strictEqual(
      await refusal({ BOXOFFICE_SECRET: secret, BOXOFFICE_SECRET_PREVIOUS: "p".repeat(32) }),
      "accepted"
    )
  })
})

describe("a rotated demo secret", () => {
  it("accepts the previous secret's access tokens while BOXOFFICE_SECRET_PREVIOUS names it", async () => {
    const before = Redacted.make("rotation-secret-before-of-32-bytes!")
    const after = Redacted.make("rotation-secret-after-of-32-bytes!!")
    const old = await startServer({ secret: before })
    const user = await newUser(old.url).finally(() => old.close())
    const rotated = await startServer({ secret: after, previousSecret: Option.some(before) })
    const done = await startServer({ secret: after })
    try {
      const wallet = await call(rotated.url, "GET", "/wallet", { token: user.accessToken })
      assert.strictEqual(wallet.status, 200)
      const refused = await call(done.url, "GET", "/wallet", { token: user.accessToken })
      assert.isTrue(isProblem(refused, 401, "unauthenticated"))
      assert.strictEqual(refused.body.detail, "access token was signed with a key this server does not hold")
    } finally {
      await rotated.close()
      await done.close()
    }
  })
})
