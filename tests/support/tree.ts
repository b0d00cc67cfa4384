/**
 * The directory tree the SimpleHTTPRequestHandler tests serve, made in a temporary directory:
 * awkward names, nested directories, index pages, symbolic links (to a file, a directory and
 * nowhere, and a loop), an empty directory, an unreadable directory and file, and a file larger than 64 MiB.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Small files: name (relative, `/`-separated) → content. */
export const FILES: Record<string, string> = {
  "a.txt": "hello a\n",
  noext: "no extension\n",
  "UPPER.TXT": "upper\n",
  "page.html": "<p>page</p>\n",
  "data.json": '{"a": 1}\n',
  "style.css": "p { color: red }\n",
  "image.png": "\x89PNG not really\n",
  "archive.tar.gz": "not really gzip\n",
  "unknown.zzqx": "an extension nobody knows\n",
  "space name.txt": "space\n",
  "café.txt": "non-ASCII (NFC é)\n",
  "日本語.txt": "CJK\n",
  "100%.txt": "percent\n",
  "50%25.txt": "a literal %25 in the name\n",
  "hash#.txt": "hash\n",
  "q?.txt": "question mark\n",
  "<i>&amp.txt": "angle brackets and ampersand\n",
  '"dq".txt': "double quotes\n",
  "'sq'.txt": "single quotes\n",
  "back\\slash.txt": "a backslash in the name\n",
  "Zeta.txt": "Z\n",
  "alpha.txt": "a\n",
  "Beta.txt": "B\n",
  "sub/in.txt": "inside sub\n",
  "sub/deeper/deep.txt": "deep inside\n",
  "withindex/index.html": "<p>index.html</p>\n",
  "withindex/other.txt": "other\n",
  "withhtm/index.htm": "<p>index.htm</p>\n",
  "both/index.html": "<p>both: html wins</p>\n",
  "both/index.htm": "<p>both: htm loses</p>\n",
  "indexdir/index.html/inner.txt": "a directory called index.html is no index page\n",
  "q?.dir/f.txt": "in q?.dir\n",
  "f#.dir/f.txt": "in f#.dir\n",
  "&amp.dir/f.txt": "in &amp.dir\n",
  "<i>.dir/f.txt": "in <i>.dir\n",
  "sp ace.dir/f.txt": "in sp ace.dir\n",
  "é.dir/f.txt": "in é.dir\n",
  "%41.dir/f.txt": "in %41.dir (a literal %41)\n",
  "\ufffd.dir/f.txt": "in U+FFFD.dir, what %ff.dir/ decodes to\n",
  "locked/secret.txt": "inside a directory nobody may list\n",
};

/** The modification time of every regular file of the tree (whole seconds, UTC). */
export const MTIME = new Date("2024-03-05T06:07:08Z");

/** The big file's size: 64 MiB and a bit, so no power-of-two buffer happens to fit it. */
export const BIG_SIZE = 64 * 1024 * 1024 + 12_345;

/** A tree made by {@link makeTree}: where it is, and what the tests compare against. */
export interface Tree {
  /** The temporary directory holding everything (removed by {@link removeTree}). */
  base: string;
  /** The directory served. */
  root: string;
  /** A file next to {@link root}, which no request may reach. */
  outside: string;
  /** SHA-256 (hex) of `big.bin`. */
  bigHash: string;
}

/** Makes a fresh tree. `big` adds `big.bin` ({@link BIG_SIZE} bytes of numbered random blocks). */
export function makeTree(options: { big?: boolean } = {}): Tree {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-simple-"));
  // Readable by `nobody` (the unreadable-directory case runs its server as that user).
  fs.chmodSync(base, 0o755);
  const root = path.join(base, "www");
  fs.mkdirSync(root);
  for (const [name, content] of Object.entries(FILES)) {
    const file = path.join(root, ...name.split("/"));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  fs.mkdirSync(path.join(root, "empty"));
  fs.symlinkSync("a.txt", path.join(root, "link-to-file"));
  fs.symlinkSync("sub", path.join(root, "link-to-dir"));
  fs.symlinkSync("nowhere", path.join(root, "dangling"));
  // Two links naming each other: any stat through them fails with ELOOP.
  fs.symlinkSync("loop-b", path.join(root, "loop-a"));
  fs.symlinkSync("loop-a", path.join(root, "loop-b"));
  fs.writeFileSync(path.join(root, "locked.txt"), "a file nobody may read\n");
  const outside = path.join(base, "outside.txt");
  fs.writeFileSync(outside, "SECRET OUTSIDE THE SERVED DIRECTORY\n");
  let bigHash = "";
  if (options.big) bigHash = writeBig(path.join(root, "big.bin"), BIG_SIZE);
  for (const name of [...Object.keys(FILES), "locked.txt"]) fs.utimesSync(path.join(root, ...name.split("/")), MTIME, MTIME);
  // Last: the unreadable directory and file (root ignores this; `nobody` does not).
  fs.chmodSync(path.join(root, "locked"), 0o000);
  fs.chmodSync(path.join(root, "locked.txt"), 0o000);
  return { base, root, outside, bigHash };
}

/** Writes `size` bytes: one random 1 MiB block repeated, each copy stamped with its number. */
function writeBig(file: string, size: number): string {
  const block = randomBytes(1024 * 1024);
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "w");
  try {
    for (let offset = 0, n = 0; offset < size; offset += block.length, n++) {
      block.writeUInt32BE(n, 0);
      const chunk = block.subarray(0, Math.min(block.length, size - offset));
      fs.writeSync(fd, chunk);
      hash.update(chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

/** Removes a tree made by {@link makeTree}. */
export function removeTree(tree: Tree | undefined): void {
  if (tree === undefined) return;
  fs.chmodSync(path.join(tree.root, "locked"), 0o755);
  fs.rmSync(tree.base, { recursive: true, force: true });
}
