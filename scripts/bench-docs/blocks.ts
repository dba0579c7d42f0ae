// Generated blocks in Markdown files: `<!-- bench:NAME -->` … `<!-- /bench:NAME -->`. The text between
// the markers belongs to `npm run bench:docs`; everything around them to people (or to the soak's own
// generator for docs/reliability.md, which carries these blocks over when it rewrites the file).

const BLOCK = /<!-- bench:([a-z0-9-]+) -->\n[\s\S]*?<!-- \/bench:\1 -->\n?/g;

export function blockText(name: string, body: string): string {
  return `<!-- bench:${name} -->\n${body.trimEnd()}\n<!-- /bench:${name} -->\n`;
}

/** The names of the blocks in `text`, in order. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(BLOCK)].map((m) => m[1]!);
}

/** `text` with the body of block `name` replaced; throws when the file has no such block. */
export function replaceBlock(text: string, name: string, body: string): string {
  let found = false;
  const out = text.replace(BLOCK, (whole, blockName: string) => {
    if (blockName !== name) return whole;
    found = true;
    return blockText(name, body);
  });
  if (!found) throw new Error(`no <!-- bench:${name} --> block`);
  return out;
}

/** `fresh` with every block of `previous` that `fresh` lacks appended at its end, unchanged. */
export function carryBlocksOver(previous: string, fresh: string): string {
  const have = new Set(blockNames(fresh));
  let out = fresh;
  for (const m of previous.matchAll(BLOCK)) {
    if (have.has(m[1]!)) continue;
    out = `${out.trimEnd()}\n\n${m[0].endsWith('\n') ? m[0] : `${m[0]}\n`}`;
  }
  return out;
}
