/**
 * The fenced code blocks of the repository's documents, for the test that
 * runs them (`readme.test.ts`): each block is taken by exactly one check,
 * and a block no check took fails the run, so a new block cannot go
 * untried.
 */
import { readFileSync } from "node:fs"

export const repository = new URL("../../../../", import.meta.url)

export interface Block {
  readonly file: string
  readonly index: number
  /** The fence's info string: `ts`, `sh`, `haproxy`, or "" for a transcript. */
  readonly language: string
  readonly code: string
  /** The markdown before the block (since the previous one): its marker comment and the heading it is under. */
  readonly before: string
  /** The last `## ` heading above the block. */
  readonly section: string
}

const cache = new Map<string, Array<Block>>()

/** Every fenced block of the markdown file at `file` (from the repository root), in order. */
export const blocksOf = (file: string): Array<Block> => {
  const known = cache.get(file)
  if (known !== undefined) return known
  const markdown = readFileSync(new URL(file, repository), "utf8")
  const blocks: Array<Block> = []
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm
  let last = 0
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const above = markdown.slice(0, match.index)
    const heading = [...above.matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? ""
    blocks.push({
      file,
      index: blocks.length,
      language: match[1]!.trim(),
      code: match[2]!,
      before: markdown.slice(last, match.index),
      section: heading
    })
    last = match.index + match[0].length
  }
  cache.set(file, blocks)
  return blocks
}

const taken = new Set<string>()
const keyOf = (block: Block) => `${block.file} block ${block.index + 1} (${block.language || "text"})`

/**
 * The blocks of `file` that `select` picks, marked as run by the caller;
 * called while the tests are collected, so the final check sees every
 * claim. Fails when none matches or one was taken already.
 */
export const take = (file: string, select: (block: Block) => boolean): Array<Block> => {
  const chosen = blocksOf(file).filter(select)
  if (chosen.length === 0) throw new Error(`${file}: no block matches ${select.toString()}`)
  for (const block of chosen) {
    if (taken.has(keyOf(block))) throw new Error(`${keyOf(block)} is taken twice`)
    taken.add(keyOf(block))
  }
  return chosen
}

/** The one block of `file` after the marker comment `marker`. */
export const takeMarked = (file: string, marker: string): Block => {
  const [block] = take(file, (b) => b.before.includes(marker))
  return block!
}

/** Blocks of `files` that no check took. */
export const untaken = (files: ReadonlyArray<string>): Array<string> =>
  files.flatMap((file) => blocksOf(file).map(keyOf)).filter((key) => !taken.has(key))
