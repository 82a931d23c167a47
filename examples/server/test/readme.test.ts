/**
 * The documents' code, run as written: every fenced block of the READMEs
 * (the root's and each package's), of docs/running.md and of docs/http.md
 * is taken by one check below, and a last check fails on any block none
 * took (support/Markdown.ts).
 * - TypeScript examples run as modules of this workspace (Node strips their
 *   types), against real Postgres and Redis where they need them; the
 *   testing package's example is a vitest file, run by vitest.
 * - Each package's `npm install` line must name every package its README
 *   imports, and only boxoffice's packages or ones its manifest names; the
 *   release check runs the lines themselves against the packed packages.
 * - The README's two commands are CI's own (`.ci/run` reads them from the
 *   README and runs them; the start command cannot run beside these
 *   suites, since it rebuilds the demo page they serve).
 * - running.md's deployment runs whole: a database made with `createdb`, two
 *   instances, HAProxy in front with its health check on `/ready`, and the
 *   first concert made through it; with a database, key prefix and ports of
 *   the test's own.
 * - http.md's curl session runs against a fresh embedded server, and every
 *   answer must match the one shown (ids, tokens and instants aside).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Redis } from "ioredis"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type Block, blocksOf, repository, take, takeMarked, untaken } from "./support/Markdown.ts"
import { freePort, stopServer } from "./support/ServerProcess.ts"
import { createStores, postgresServerUrl, redisUrl, type Stores } from "./support/Stores.ts"

const run = promisify(execFile)
const root = fileURLToPath(repository)

const packageReadmes = readdirSync(new URL("packages/", repository))
  .filter((name) => {
    try {
      readFileSync(new URL(`packages/${name}/README.md`, repository))
      return true
    } catch {
      return false
    }
  })
  .map((name) => `packages/${name}/README.md`)
const documents = ["README.md", ...packageReadmes, "docs/running.md", "docs/http.md"]

/** Writes `source` inside this package (git-ignored), so its imports resolve to the workspace packages. */
const place = (name: string, source: string) => {
  const folder = new URL(`../.cache/readme/${name}/`, import.meta.url)
  mkdirSync(folder, { recursive: true })
  const file = new URL(name.endsWith("testing") ? "example.test.ts" : "example.ts", folder)
  writeFileSync(file, source)
  return fileURLToPath(file)
}

const runExample = async (name: string, source: string, env: Record<string, string> = {}) => {
  const environment: Record<string, string | undefined> = { ...process.env, ...env }
  delete environment["BOXOFFICE_SECRET"]
  const { stdout } = await run(process.execPath, [place(name, source)], { env: environment, timeout: 60_000 })
  return stdout.trim().split("\n")
}

/** The packages a TypeScript block imports: `effect/http` is `effect`, Node's own modules are none. */
const importedPackages = (code: string): Array<string> =>
  [...code.matchAll(/^import [^"]*"([^"]+)"/gm)]
    .map((match) => match[1]!)
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
    .filter((specifier) => !builtinModules.includes(specifier))
    .map((specifier) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/")
    )

/** A server process of the example server, for the documents that talk to one. */
const spawnExampleServer = (env: Record<string, string>) => {
  const environment: Record<string, string | undefined> = { PATH: process.env["PATH"], ...env }
  const child = spawn(process.execPath, [fileURLToPath(new URL("../dist/main.js", import.meta.url))], {
    env: environment,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, url: `http://127.0.0.1:${env["PORT"]}`, output: () => output }
}

/** Resolves once `url` answers 200, or throws with `output()` after 20 s. */
const answering = async (url: string, output: () => string) => {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} never answered 200:\n${output()}`)
}

let stores: Stores
beforeAll(async () => {
  stores = await createStores()
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

describe("the READMEs' examples", () => {
  const embedded = takeMarked("README.md", "<!-- embedding-example -->")
  it("root README: a whole booking, embedded", async () => {
    assert.deepStrictEqual(await runExample("root", embedded.code), ["queue: active", "paid 100000 KRW for seats 7, 8"])
  }, 90_000)

  const production = takeMarked("README.md", "<!-- production-example -->")
  it("root README: the same booking on Postgres + Redis, after migrating", async () => {
    assert.deepStrictEqual(
      await runExample("root-production", production.code, {
        DATABASE_URL: stores.databaseUrl,
        REDIS_URL: redisUrl,
        BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix
      }),
      ["queue: active", "paid 100000 KRW for seats 7, 8"]
    )
  }, 90_000)

  const core = takeMarked("packages/core/README.md", "<!-- example -->")
  it("@boxoffice/core: a whole booking", async () => {
    assert.deepStrictEqual(await runExample("core", core.code), ["paid 100000 KRW; balance 0"])
  }, 90_000)

  const memory = takeMarked("packages/memory/README.md", "<!-- example -->")
  it("@boxoffice/memory: the second joiner waits first in line", async () => {
    assert.deepStrictEqual(await runExample("memory", memory.code), ["active; waiting at position 1"])
  }, 90_000)

  const postgresExample = takeMarked("packages/postgres/README.md", "<!-- example -->")
  it("@boxoffice/postgres: migrate, then hold a seat", async () => {
    assert.deepStrictEqual(await runExample("postgres", postgresExample.code, { DATABASE_URL: stores.databaseUrl }), [
      "held seat 1 for 40000 KRW"
    ])
  }, 90_000)

  const redis = takeMarked("packages/redis/README.md", "<!-- example -->")
  it("@boxoffice/redis: the second joiner waits first in line", async () => {
    assert.deepStrictEqual(
      await runExample("redis", redis.code, { REDIS_URL: redisUrl, BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix }),
      ["active; waiting at position 1"]
    )
  }, 90_000)

  const http = takeMarked("packages/http/README.md", "<!-- example -->")
  it("@boxoffice/http: serve the API and call it with the typed client", async () => {
    assert.deepStrictEqual(await runExample("http", http.code, { PORT: String(await freePort()) }), [
      `wallet: {"balance":0,"available":0}`
    ])
  }, 90_000)

  const jwt = takeMarked("packages/http/README.md", "<!-- example: jwt -->")
  it("@boxoffice/http: a host's identity provider, which refuses a malformed token", async () => {
    const [line] = await runExample("http-jwt", jwt.code)
    assert.match(line!, /^not authenticated: /)
  }, 90_000)

  const testing = takeMarked("packages/testing/README.md", "<!-- example: vitest -->")
  it("@boxoffice/testing: the three suites pass on the memory adapter under vitest", async () => {
    const file = place("testing", testing.code)
    const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url))
    const { stdout } = await run(
      process.execPath,
      [vitest, "run", "--root", fileURLToPath(new URL(".", `file://${file}`))],
      {
        env: { ...process.env, BOXOFFICE_PROPERTY_RUNS: "20", NO_COLOR: "1" },
        timeout: 120_000
      }
    )
    const tally = /Tests\s+(\d+) passed \((\d+)\)/.exec(stdout)
    assert.isNotNull(tally, stdout)
    assert.strictEqual(tally![1], tally![2], stdout)
    assert.isAtLeast(Number(tally![1]), 50, stdout)
  }, 180_000)
})

describe("the READMEs' install lines", () => {
  for (const file of packageReadmes) {
    const [install] = take(file, (b) => b.language === "sh" && b.code.startsWith("npm install"))
    it(`${file}: installs every package its examples import, and only packages it knows`, () => {
      assert.strictEqual(install!.code.trim().split("\n").length, 1, "one install line")
      const listed = install!.code
        .trim()
        .split(/\s+/)
        .slice(2)
        .filter((word) => !word.startsWith("-"))
        // `@effect/platform-node@^4.1` names `@effect/platform-node`.
        .map((word) => (word.startsWith("@") ? `@${word.slice(1).split("@")[0]}` : word.split("@")[0]!))
      const imported = new Set(
        blocksOf(file)
          .filter((b) => b.language === "ts")
          .flatMap((b) => importedPackages(b.code))
      )
      for (const name of imported) assert.include(listed, name, `${file} imports ${name} without installing it`)
      const manifest = JSON.parse(readFileSync(new URL(file.replace("README.md", "package.json"), repository), "utf8"))
      // The package itself, what its manifest names, and the other published packages (an adapter under test).
      const published = packageReadmes.map(
        (readme) =>
          JSON.parse(readFileSync(new URL(readme.replace("README.md", "package.json"), repository), "utf8")).name
      )
      const known = new Set([
        ...published,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {})
      ])
      for (const name of listed)
        assert.isTrue(known.has(name), `${file} installs ${name}, which ${manifest.name} does not know`)
    })
  }
})

describe("the README's two commands", () => {
  const [commands] = take("README.md", (b) => b.language === "sh")
  const [same] = take("docs/running.md", (b) => b.section === "On a fresh machine")
  it("are CI's own: .ci/run runs the block it reads from the README, and running.md repeats it", () => {
    const lines = commands!.code
      .trim()
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, ""))
    assert.deepStrictEqual(lines, [
      "npx -y pnpm@10.34.8 install && npx -y pnpm@10.34.8 start",
      "npx -y pnpm@10.34.8 install && npx -y pnpm@10.34.8 test"
    ])
    assert.strictEqual(same!.code.trim(), lines.join("\n"))
    const ci = readFileSync(new URL(".ci/run", repository), "utf8")
    assert.include(ci, 'scripts/readme-block.mjs README.md "<!-- commands -->" sh')
    assert.isTrue(commands!.before.includes("<!-- commands -->"))
  })
})

describe("running.md", () => {
  const [identity] = take("docs/running.md", (b) => b.section === "A host's identity provider")
  it("a host's identity provider: the server starts on it, and refuses demo sign-ups", async () => {
    const port = String(await freePort())
    const command = identity!.code.replace(/\\\n/g, " ").trim()
    const child = spawn("bash", ["-c", command], {
      cwd: root,
      env: { PATH: process.env["PATH"], PORT: port },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    let output = ""
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    try {
      await answering(`http://127.0.0.1:${port}/ready`, () => output)
      const signUp = await fetch(`http://127.0.0.1:${port}/users`, { method: "POST" })
      assert.strictEqual(signUp.status, 404)
      assert.strictEqual(((await signUp.json()) as { code: string }).code, "not-found")
    } finally {
      stopGroup(child)
    }
  }, 60_000)

  const deployment = take("docs/running.md", (b) => b.section === "Deploying on Postgres and Redis")
  it("deploying on Postgres and Redis: createdb, two instances behind HAProxy, the first concert", async () => {
    execFileSync("bash", [new URL("../../../scripts/ensure-haproxy.sh", import.meta.url).pathname], {
      stdio: "inherit"
    })
    const name = `boxoffice_docs_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
    const prefix = `boxoffice:docs:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`
    const [first, second, proxy] = [await freePort(), await freePort(), await freePort()]
    const folder = mkdtempSync(join(tmpdir(), "boxoffice-deploy-"))
    const config = join(folder, "haproxy.cfg")
    const postgresBase = postgresServerUrl.replace(/\/[^/]*$/, "")
    /** The test's own names and ports for the documented ones. */
    const own = (text: string) =>
      text
        .replace(/^(createdb .*) boxoffice$/m, `$1 ${name}`)
        .replace("postgres://postgres@127.0.0.1:5432/boxoffice", `${postgresBase}/${name}`)
        .replace("redis://127.0.0.1:6379", redisUrl)
        .replace("BOXOFFICE_REDIS_PREFIX=boxoffice:", `BOXOFFICE_REDIS_PREFIX=${prefix}`)
        .replace(/\b3001\b/g, String(first))
        .replace(/\b3002\b/g, String(second))
        .replace(/\b8080\b/g, String(proxy))
        .replace("-f haproxy.cfg", `-f ${config}`)
    const [haproxy, ...others] = [
      ...deployment.filter((b) => b.language === "haproxy"),
      ...deployment.filter((b) => b.language !== "haproxy")
    ]
    assert.strictEqual(haproxy!.language, "haproxy")
    assert.isTrue(others.every((b) => b.language === "sh"))
    writeFileSync(config, own(haproxy!.code))
    const script = ["set -euo pipefail", ...others.map((b) => own(b.code))].join("\n")
    // Into files, not pipes: the instances and HAProxy the script leaves running keep writing after it exits.
    const stdout = join(folder, "stdout")
    const stderr = join(folder, "stderr")
    // A user's shell: without the PATH entries pnpm puts first for this run (the doc names its node).
    const userPath = (process.env["PATH"] ?? "")
      .split(":")
      .filter((entry) => !entry.includes("node_modules"))
      .join(":")
    const child = spawn("bash", ["-c", script], {
      cwd: root,
      env: { PATH: userPath, HOME: process.env["HOME"] },
      stdio: ["ignore", openSync(stdout, "w"), openSync(stderr, "w")],
      detached: true
    })
    const admin = postgres(postgresServerUrl, { max: 1, onnotice: () => {} })
    try {
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
      const output = readFileSync(stdout, "utf8")
      assert.strictEqual(code, 0, `${output}\n${readFileSync(stderr, "utf8")}`)
      // Every line but pnpm's banner of step 2 is JSON: the instances' log, and curl's answers.
      const lines = output.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("> "))
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      assert.isTrue(parsed.some((line) => line["message"] === "migrations applied"))
      assert.deepStrictEqual(
        parsed.filter((line) => "status" in line),
        [{ status: "ready" }]
      )
      // Step 7: the concert made through the proxy, then the list that shows it.
      const made = parsed.find((line) => "dates" in line) as { concertId: string }
      assert.isDefined(made, output)
      assert.deepStrictEqual(parsed.at(-1) as unknown, [
        { concertId: made.concertId, title: "Opening night", soldOut: false }
      ])
      // Both instances serve it from the shared stores.
      for (const port of [first, second]) {
        const listed = await fetch(`http://127.0.0.1:${port}/concerts`).then((r) => r.json())
        assert.deepStrictEqual(listed, [{ concertId: made.concertId, title: "Opening night", soldOut: false }])
      }
    } finally {
      stopGroup(child)
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
      const redisClient = new Redis(redisUrl)
      const keys = await redisClient.keys(`${prefix}*`)
      if (keys.length > 0) await redisClient.del(...keys)
      await redisClient.quit()
    }
  }, 180_000)
})

/** Ends a detached shell and everything it started (the instances and HAProxy it left running). */
const stopGroup = (child: ChildProcess) => {
  try {
    process.kill(-child.pid!, "SIGTERM")
  } catch {
    // Already gone.
  }
}

describe("http.md", () => {
  const [fairStart] = take("docs/http.md", (b) => b.section === "Fair start")
  const [operator] = take("docs/http.md", (b) => b.section === "Operator controls")
  const [session] = take("docs/http.md", (b) => b.section === "A session")
  const [client] = take("docs/http.md", (b) => b.section === "The typed client")
  const adminKey = "http-md-admin-key-of-the-docs-test"
  let server: ReturnType<typeof spawnExampleServer>

  beforeAll(async () => {
    // As `pnpm start` runs it: the embedded engine with its demo concert.
    server = spawnExampleServer({ PORT: String(await freePort()), BOXOFFICE_ADMIN_KEY: adminKey })
    await answering(`${server.url}/ready`, server.output)
  }, 60_000)
  afterAll(() => (server === undefined ? undefined : stopServer(server)))

  /** Runs a documented command against the test's server, with the variables it names. */
  const shell = async (command: string, env: Record<string, string>) => {
    const { stdout } = await run(
      "bash",
      ["-c", command.replace(/localhost:3000/g, server.url.replace("http://", ""))],
      {
        env: { PATH: process.env["PATH"], ...env },
        timeout: 30_000
      }
    )
    return stdout
  }

  it("the session: every answer as shown, but for ids, tokens and instants", async () => {
    const steps = parseSession(session!)
    assert.isAtLeast(steps.length, 10)
    const variables: Record<string, string> = {}
    for (const { command, expected } of steps) {
      const actual = (await shell(command, variables)).trim()
      if (expected.endsWith("...")) {
        // A cut-off answer (`| head -c N`): the shown part, exactly.
        assert.strictEqual(`${actual}...`, expected, command)
        continue
      }
      const shown = JSON.parse(expected) as unknown
      const answered = JSON.parse(actual) as unknown
      assertLike(answered, shown, command)
      Object.assign(variables, variablesFrom(command, answered))
    }
    assert.hasAllKeys(variables, ["TOKEN", "CONCERT", "QUEUE_TOKEN", "DATE", "HOLD"])
  }, 60_000)

  it("fair start and the operator controls: the admin calls as shown", async () => {
    const created = JSON.parse(await shell(fairStart!.code, { BOXOFFICE_ADMIN_KEY: adminKey })) as {
      concertId: string
      opensAt: string
    }
    assert.match(created.concertId, /^[0-9a-f-]{36}$/)
    const changed = JSON.parse(
      await shell(operator!.code, { BOXOFFICE_ADMIN_KEY: adminKey, CONCERT: created.concertId })
    ) as { paused: boolean }
    assert.strictEqual(changed.paused, true)
  }, 60_000)

  it("the typed client joins the demo concert's queue", async () => {
    assert.deepStrictEqual(
      await runExample("http-md-client", client!.code.replace("http://127.0.0.1:3000", server.url)),
      ["joined: active"]
    )
  }, 60_000)
})

/** `$ command` lines and the answer below each, from a transcript block. */
const parseSession = (block: Block) => {
  const steps: Array<{ command: string; expected: string }> = []
  for (const line of block.code.split("\n")) {
    if (line.startsWith("$ ")) steps.push({ command: line.slice(2), expected: "" })
    else if (line.trim() !== "") steps.at(-1)!.expected += line
  }
  return steps
}

/** What a step's answer defines for the steps after it, as the session's text says. */
const variablesFrom = (command: string, answer: unknown): Record<string, string> => {
  const first = (Array.isArray(answer) ? answer[0] : answer) as Record<string, string>
  if (command.includes("-X POST localhost") && command.endsWith("/users")) return { TOKEN: first["accessToken"]! }
  if (command.endsWith("localhost:3000/concerts")) return { CONCERT: first["concertId"]! }
  if (command.endsWith("/queue")) return { QUEUE_TOKEN: first["queueToken"]! }
  if (command.endsWith("/dates")) return { DATE: first["dateId"]! }
  if (command.endsWith("/holds")) return { HOLD: first["holdId"]! }
  return {}
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/**
 * `actual` has the shape and values of `shown`: the same keys in the same
 * order, the same array lengths, equal values, except that ids, instants,
 * tokens (anything shown with `…`) stand for any value of their kind.
 */
const assertLike = (actual: unknown, shown: unknown, where: string): void => {
  if (typeof shown === "string") {
    if (uuid.test(shown)) assert.match(String(actual), uuid, where)
    else if (instant.test(shown)) assert.match(String(actual), instant, where)
    else if (shown.includes("…") || /^(at2|qt1)\./.test(shown)) assert.isString(actual, where)
    else assert.strictEqual(actual, shown, where)
    return
  }
  if (Array.isArray(shown)) {
    assert.isArray(actual, where)
    assert.strictEqual((actual as Array<unknown>).length, shown.length, `${where}: length`)
    for (const [i, item] of shown.entries()) assertLike((actual as Array<unknown>)[i], item, where)
    return
  }
  if (typeof shown === "object" && shown !== null) {
    assert.deepStrictEqual(Object.keys(actual as object), Object.keys(shown), `${where}: keys`)
    for (const [key, value] of Object.entries(shown)) {
      assertLike((actual as Record<string, unknown>)[key], value, `${where}: ${key}`)
    }
    return
  }
  assert.strictEqual(actual, shown, where)
}

describe("every block", () => {
  it("of the READMEs, running.md and http.md is run by a check above", () => {
    assert.deepStrictEqual(untaken(documents), [])
  })
})
