/**
 * The version of httpserver: the packages' `version` (package.json, deno.json), which a test keeps
 * equal to this.
 * @module
 */

/** httpserver's version, e.g. `"0.1.0"` (what `httpserver --version` prints after the name). */
export const VERSION = "0.1.0";
