/**
 * The load generator: many keep-alive connections (undici pools, one per
 * target instance), a fixed number of requests spread over them, latencies
 * recorded in an HdrHistogram, and a live progress line.
 */
import * as hdr from "hdr-histogram-js"
import { Pool } from "undici"

export interface Request {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: unknown
}

export interface Answer {
  readonly status: number
  readonly body: any
}

export interface LoadResult {
  readonly name: string
  readonly requests: number
  readonly errors: number
  readonly durationMs: number
  readonly requestsPerSecond: number
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number }
  /** CPU the server processes used per answered request, in microseconds, where it could be read. */
  readonly serverCpuUsPerRequest?: number
}

/** Keep-alive pools to each instance, used round-robin. */
export class Target {
  readonly pools: Array<Pool>
  readonly urls: ReadonlyArray<string>
  /** The server processes behind `urls`, whose CPU the throughput scenarios read. */
  readonly serverPids: ReadonlyArray<number>
  constructor(urls: ReadonlyArray<string>, connectionsPerInstance: number, serverPids: ReadonlyArray<number> = []) {
    this.urls = urls
    this.serverPids = serverPids
    this.pools = urls.map((url) => new Pool(url, { connections: connectionsPerInstance, pipelining: 1 }))
  }
  async send(request: Request, instance = 0): Promise<Answer> {
    const pool = this.pools[instance % this.pools.length]!
    const headers: Record<string, string> = { ...request.headers }
    let body: string | undefined
    if (request.body !== undefined) {
      body = JSON.stringify(request.body)
      headers["content-type"] = "application/json"
    }
    const response = await pool.request({ method: request.method, path: request.path, headers, body: body ?? null })
    const text = await response.body.text()
    return { status: response.statusCode, body: text === "" ? null : JSON.parse(text) }
  }
  close() {
    return Promise.all(this.pools.map((pool) => pool.close()))
  }
}

export const histogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 })

export const summarize = (h: hdr.Histogram) => ({
  p50: h.getValueAtPercentile(50) / 1000,
  p95: h.getValueAtPercentile(95) / 1000,
  p99: h.getValueAtPercentile(99) / 1000,
  max: h.maxValue / 1000
})

/**
 * Sends `count` requests with `concurrency` in flight, `request(i)` building
 * the i-th. `ok` says whether an answer counts as a success.
 */
export const load = async (options: {
  readonly name: string
  readonly target: Target
  readonly count: number
  readonly concurrency: number
  readonly request: (index: number) => Request
  readonly ok?: (answer: Answer, index: number) => boolean
  readonly onAnswer?: (answer: Answer, index: number) => void
}): Promise<LoadResult> => {
  const latencies = histogram()
  let next = 0
  let done = 0
  let errors = 0
  const started = performance.now()
  const progress = setInterval(
    () => {
      const seconds = (performance.now() - started) / 1000
      const line = `${options.name}: ${done}/${options.count} requests, ${(done / seconds).toFixed(0)} req/s, p99 ${(latencies.getValueAtPercentile(99) / 1000).toFixed(1)} ms`
      if (process.stderr.isTTY) process.stderr.write(`\r${line}   `)
      else process.stderr.write(`${line}\n`)
    },
    process.stderr.isTTY ? 250 : 2_000
  )
  const worker = async () => {
    while (next < options.count) {
      const index = next++
      const sent = process.hrtime.bigint()
      try {
        const answer = await options.target.send(options.request(index), index)
        latencies.recordValue(Math.max(1, Number(process.hrtime.bigint() - sent) / 1000))
        if (options.ok !== undefined && !options.ok(answer, index)) errors++
        options.onAnswer?.(answer, index)
      } catch {
        errors++
      }
      done++
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  clearInterval(progress)
  if (process.stderr.isTTY) process.stderr.write("\n")
  const durationMs = performance.now() - started
  return {
    name: options.name,
    requests: done,
    errors,
    durationMs,
    requestsPerSecond: done / (durationMs / 1000),
    latencyMs: summarize(latencies)
  }
}
