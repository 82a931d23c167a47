/**
 * The human check at the door (`BOXOFFICE_HUMAN_CHECK=altcha`): a join needs
 * an ALTCHA proof of work from `GET /human-check/challenge` in its
 * `Human-Check` header, through the queue shortcut and through HttpApi alike.
 * Missing, wrong and expired proofs are `403 human-check-failed`; a proof is
 * accepted once, also when replayed on the other of two instances sharing
 * Redis; a real solution joins.
 */
import { createChallenge, solveChallenge } from "altcha-lib"
import { deriveKey } from "altcha-lib/algorithms/sha"
import { createHmac } from "node:crypto"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, readyServer, type ServerProcess, spawnServer, stopServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, call, isProblem, newConcert, newUser } from "./support/TestServer.ts"

const secret = "human-check-secret-of-at-least-32-bytes"

/** The widget's answer to a challenge: base64 of the challenge and its solution. */
const solved = async (challenge: Parameters<typeof solveChallenge>[0]["challenge"]) => {
  const solution = await solveChallenge({ challenge, deriveKey })
  if (solution === null) throw new Error("no solution")
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64")
}

const proofFrom = async (base: string) => {
  const response = await fetch(`${base}/human-check/challenge`)
  assert.strictEqual(response.status, 200)
  assert.strictEqual(response.headers.get("cache-control"), "no-store")
  return solved(await response.json())
}

const join = (base: string, concertId: string, token: string, proof: string | undefined, via = "") =>
  fetch(`${base}/concerts/${concertId}/queue${via}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...(proof === undefined ? {} : { "human-check": proof }) }
  }).then(async (response) => ({
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: await response.json()
  }))

describe("the human check across two instances sharing Redis", () => {
  let stores: Stores
  const servers: Array<ServerProcess> = []
  beforeAll(async () => {
    stores = await createStores()
    for (let i = 0; i < 2; i++) {
      const server = spawnServer(stores, await freePort(), secret, { BOXOFFICE_HUMAN_CHECK: "altcha" })
      servers.push(await readyServer(server))
    }
  }, 60_000)
  afterAll(async () => {
    await Promise.all(servers.map(stopServer))
    await stores?.drop()
  }, 30_000)

  it("refuses a join without a proof, or with a wrong or expired one, on both paths", async () => {
    const [first] = servers.map((s) => s.url)
    const concert = await newConcert(first!)
    const user = await newUser(first!)
    for (const via of ["", "?via=contract"]) {
      const missing = await join(first!, concert.concertId, user.accessToken, undefined, via)
      assert.isTrue(isProblem(missing, 403, "human-check-failed"), JSON.stringify(missing))
      const junk = await join(first!, concert.concertId, user.accessToken, "bm90IGEgcHJvb2Y=", via)
      assert.isTrue(isProblem(junk, 403, "human-check-failed"), JSON.stringify(junk))
    }
    // A real solution whose challenge was altered after signing: the signature no longer matches.
    const real = JSON.parse(Buffer.from(await proofFrom(first!), "base64").toString("utf8"))
    real.challenge.parameters.cost = 2
    const tampered = Buffer.from(JSON.stringify(real)).toString("base64")
    assert.isTrue(
      isProblem(await join(first!, concert.concertId, user.accessToken, tampered), 403, "human-check-failed")
    )
    // A challenge signed with the server's key that expired a minute ago.
    const expired = await createChallenge({
      algorithm: "SHA-256",
      cost: 1,
      counter: 10,
      deriveKey,
      hmacSignatureSecret: createHmac("sha256", secret).update("boxoffice/human-check").digest("base64url"),
      expiresAt: Math.floor(Date.now() / 1000) - 60
    })
    const late = await join(first!, concert.concertId, user.accessToken, await solved(expired))
    assert.isTrue(isProblem(late, 403, "human-check-failed"), JSON.stringify(late))
    assert.include(late.body.detail, "expired")
    // Nothing was joined: no place of any kind.
    const report = await call(first!, "GET", `/admin/concerts/${concert.concertId}`, { token: adminKey })
    assert.deepStrictEqual(report.body.queue, { pending: 0, waiting: 0, active: 0, admittedLastMinute: 0 })
  }, 60_000)

  it("accepts a solution once: its replay on the other instance is refused", async () => {
    const [first, second] = servers.map((s) => s.url)
    const concert = await newConcert(first!)
    const [alice, bob] = [await newUser(first!), await newUser(first!)]
    const proof = await proofFrom(first!)
    const joined = await join(first!, concert.concertId, alice.accessToken, proof)
    assert.strictEqual(joined.status, 201, JSON.stringify(joined.body))
    const replayed = await join(second!, concert.concertId, bob.accessToken, proof, "?via=contract")
    assert.isTrue(isProblem(replayed, 403, "human-check-failed"), JSON.stringify(replayed))
    assert.include(replayed.body.detail, "used already")
    // A challenge from the second instance is good on the first: they share the signing key.
    const fresh = await join(first!, concert.concertId, bob.accessToken, await proofFrom(second!))
    assert.strictEqual(fresh.status, 201)
  }, 60_000)
})
