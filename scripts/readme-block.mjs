// Prints the ```ts block that follows `marker` in a markdown file: how the release check takes the
// README's examples into its fresh app. Usage: node scripts/readme-block.mjs <file> <marker>
import { readFileSync } from "node:fs"

const [file, marker] = process.argv.slice(2)
const markdown = readFileSync(file, "utf8")
const at = markdown.indexOf(marker)
const block = at < 0 ? null : /```ts\n([\s\S]*?)```/.exec(markdown.slice(at))
if (block === null) {
  console.error(`${file}: no ts block after ${marker}`)
  process.exit(1)
}
process.stdout.write(block[1])
