/** A script that cannot be run: reported as `FILE:LINE:COL: message`, exit 2. */
export class ScriptError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, readonly why: string) {
    super(`${file}:${line}:${col}: ${why}`);
  }
}
