/**
 * The fast routes answer exactly as HttpApi did. Each expected answer below
 * was recorded, byte for byte, from the HttpApi implementation of these
 * four endpoints before they moved to `FastRoutes.ts`: status, media type
 * and body, for every way a request can be refused before the use case runs.
 * ("@" in a header stands for a registered user's access token.)
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { call, newUser, type RunningServer, startServer } from "./support/TestServer.ts"

interface RecordedCase {
  readonly name: string
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string | null
  readonly status: number
  readonly contentType: string
  readonly answer: string
}

const recorded: ReadonlyArray<RecordedCase> = [
  {
    "name": "no credential",
    "method": "GET",
    "path": "/queue/status",
    "headers": {},
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"access token is missing, malformed or forged\",\"code\":\"unauthenticated\",\"type\":\"urn:boxoffice:problem:unauthenticated\",\"status\":401,\"title\":\"Unauthenticated\"}"
  },
  {
    "name": "another scheme",
    "method": "GET",
    "path": "/queue/status",
    "headers": {
      "authorization": "Basic abc"
    },
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"access token is missing, malformed or forged\",\"code\":\"unauthenticated\",\"type\":\"urn:boxoffice:problem:unauthenticated\",\"status\":401,\"title\":\"Unauthenticated\"}"
  },
  {
    "name": "an empty bearer",
    "method": "GET",
    "path": "/queue/status",
    "headers": {
      "authorization": "Bearer  "
    },
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"access token is missing, malformed or forged\",\"code\":\"unauthenticated\",\"type\":\"urn:boxoffice:problem:unauthenticated\",\"status\":401,\"title\":\"Unauthenticated\"}"
  },
  {
    "name": "no queue token",
    "method": "GET",
    "path": "/queue/status",
    "headers": {
      "authorization": "@"
    },
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"the Queue-Token header is missing\",\"code\":\"queue-token-invalid\",\"type\":\"urn:boxoffice:problem:queue-token-invalid\",\"status\":401,\"title\":\"Queue token invalid\"}"
  },
  {
    "name": "a malformed queue token",
    "method": "GET",
    "path": "/queue/status",
    "headers": {
      "authorization": "@",
      "queue-token": "junk"
    },
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"malformed queue token\",\"code\":\"queue-token-invalid\",\"type\":\"urn:boxoffice:problem:queue-token-invalid\",\"status\":401,\"title\":\"Queue token invalid\"}"
  },
  {
    "name": "a concert id that is no UUID",
    "method": "POST",
    "path": "/concerts/not-a-uuid/queue",
    "headers": {
      "authorization": "@"
    },
    "body": null,
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"params: Expected a UUID\\n  at [\\\"concertId\\\"]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "an unknown concert",
    "method": "POST",
    "path": "/concerts/00000000-0000-4000-8000-000000000000/queue",
    "headers": {
      "authorization": "@"
    },
    "body": null,
    "status": 404,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"no concert 00000000-0000-4000-8000-000000000000\",\"code\":\"not-found\",\"type\":\"urn:boxoffice:problem:not-found\",\"status\":404,\"title\":\"Not found\"}"
  },
  {
    "name": "seat numbers of the wrong type",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json"
    },
    "body": "{\"seatNumbers\":\"x\"}",
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"payload: Expected array\\n  at [\\\"seatNumbers\\\"]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "a body that is not JSON",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json"
    },
    "body": "{bad",
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"payload: Expected a valid JSON body\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "an empty body",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json"
    },
    "body": "",
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"payload: Expected object\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "a text body",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "text/plain"
    },
    "body": "x",
    "status": 415,
    "contentType": "application/problem+json",
    "answer": "{\"type\":\"urn:boxoffice:problem:unsupported-media-type\",\"title\":\"Unsupported media type\",\"status\":415,\"code\":\"unsupported-media-type\",\"detail\":\"a request body must be application/json, not text/plain\"}"
  },
  {
    "name": "a +json body",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/vnd.x+json"
    },
    "body": "{}",
    "status": 415,
    "contentType": "application/problem+json",
    "answer": "{\"type\":\"urn:boxoffice:problem:unsupported-media-type\",\"title\":\"Unsupported media type\",\"status\":415,\"code\":\"unsupported-media-type\",\"detail\":\"Unsupported content-type: application/vnd.x+json\"}"
  },
  {
    "name": "a hold without a queue token",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json"
    },
    "body": "{\"seatNumbers\":[1]}",
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"the Queue-Token header is missing\",\"code\":\"queue-token-invalid\",\"type\":\"urn:boxoffice:problem:queue-token-invalid\",\"status\":401,\"title\":\"Queue token invalid\"}"
  },
  {
    "name": "a date id that is no UUID",
    "method": "POST",
    "path": "/dates/bad/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json"
    },
    "body": "{\"seatNumbers\":[1]}",
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"params: Expected a UUID\\n  at [\\\"dateId\\\"]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "a seat number out of range",
    "method": "POST",
    "path": "/dates/00000000-0000-4000-8000-000000000000/holds",
    "headers": {
      "authorization": "@",
      "content-type": "application/json",
      "queue-token": "x"
    },
    "body": "{\"seatNumbers\":[0]}",
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"payload: Expected a value between 1 and 10000\\n  at [\\\"seatNumbers\\\"][0]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "a hold id that is no UUID",
    "method": "POST",
    "path": "/holds/bad/payment",
    "headers": {
      "authorization": "@"
    },
    "body": null,
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"params: Expected a UUID\\n  at [\\\"holdId\\\"]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "an idempotency key too long",
    "method": "POST",
    "path": "/holds/00000000-0000-4000-8000-000000000000/payment",
    "headers": {
      "authorization": "@",
      "idempotency-key": "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
    },
    "body": null,
    "status": 400,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"headers: Expected a value with a length between 1 and 255\\n  at [\\\"idempotency-key\\\"]\",\"code\":\"invalid-request\",\"type\":\"urn:boxoffice:problem:invalid-request\",\"status\":400,\"title\":\"Invalid request\"}"
  },
  {
    "name": "a malformed queue token on payment",
    "method": "POST",
    "path": "/holds/00000000-0000-4000-8000-000000000000/payment",
    "headers": {
      "authorization": "@",
      "queue-token": "x"
    },
    "body": null,
    "status": 401,
    "contentType": "application/problem+json",
    "answer": "{\"detail\":\"malformed queue token\",\"code\":\"queue-token-invalid\",\"type\":\"urn:boxoffice:problem:queue-token-invalid\",\"status\":401,\"title\":\"Queue token invalid\"}"
  }
]

let server: RunningServer
let accessToken: string

beforeAll(async () => {
  server = await startServer()
  accessToken = (await newUser(server.url)).accessToken
})
afterAll(() => server?.close())

describe("fast routes answer as HttpApi answered", () => {
  it.each(recorded)("$name: $method $path", async (c) => {
    const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, v === "@" ? `Bearer ${accessToken}` : v]))
    const response = await fetch(`${server.url}${c.path}`, { method: c.method, headers, ...(c.body === null ? {} : { body: c.body }) })
    assert.strictEqual(response.status, c.status)
    assert.strictEqual(response.headers.get("content-type"), c.contentType)
    assert.strictEqual(await response.text(), c.answer)
  })

  it("the OpenAPI document still lists the four operations, with their answers", async () => {
    const document = (await call(server.url, "GET", "/openapi.json")).body
    assert.containsAllKeys(document.paths["/queue/status"].get.responses, ["200", "400", "401", "403"])
    assert.containsAllKeys(document.paths["/concerts/{concertId}/queue"].post.responses, ["200", "201", "400", "401", "404"])
    assert.containsAllKeys(document.paths["/dates/{dateId}/holds"].post.responses, ["201", "400", "401", "409", "415"])
    assert.containsAllKeys(document.paths["/holds/{holdId}/payment"].post.responses, ["201", "400", "401", "402", "409"])
  })
})
