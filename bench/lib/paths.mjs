// Where things are.
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** bench/servers/. */
export const SERVERS = fileURLToPath(new URL("../servers/", import.meta.url));
