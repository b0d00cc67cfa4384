// The directory every static server serves: a 1 KiB file, a 4 MiB file, a directory of 1,000
// files and a sparse 1 GiB file, made afresh in a temporary directory.
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** URL paths of the files, and their sizes in bytes. */
export const FILES = {
  small: { path: "/small.txt", size: 1024 },
  large: { path: "/large.bin", size: 4 * 1024 * 1024 },
  listing: { path: "/dir/", entries: 1000 },
  huge: { path: "/huge.bin", size: 1024 * 1024 * 1024 },
};

/** Creates the document root; returns `{ root, remove() }`. */
export function makeDocroot() {
  const root = mkdtempSync(join(tmpdir(), "httpserver-bench-"));
  // nginx's worker runs as another user: everything readable by all.
  chmodSync(root, 0o755);
  const small = Buffer.alloc(FILES.small.size);
  for (let i = 0; i < small.length; i++) small[i] = 0x61 + (i % 26);
  small[small.length - 1] = 0x0a;
  writeFileSync(join(root, FILES.small.path), small);
  const large = Buffer.alloc(FILES.large.size);
  for (let i = 0; i < large.length; i += 4) large.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(join(root, FILES.large.path), large);
  const dir = join(root, FILES.listing.path);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  for (let i = 0; i < FILES.listing.entries; i++) {
    writeFileSync(join(dir, `file-${String(i).padStart(4, "0")}.txt`), `file ${i}\n`);
  }
  // Sparse: 1 GiB of zeros that take no disk space.
  const fd = openSync(join(root, FILES.huge.path), "w");
  ftruncateSync(fd, FILES.huge.size);
  closeSync(fd);
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
