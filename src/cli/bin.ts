#!/usr/bin/env node
import { main } from "./main.js";

// `daxlease run ... | head`: a reader that goes away is not an error of ours.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
