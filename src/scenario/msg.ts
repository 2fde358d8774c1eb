// strace's struct msghdr, as sendmsg and recvmsg take it in a script:
//   {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1,
//    msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}],
//    msg_controllen=24, msg_flags=0}
// Any field may be left out; the lengths are what strace prints and are not checked
// against the rest. For sendmsg the iovecs are the bytes sent and cmsg_data the
// descriptors passed; for recvmsg iov_len is the room given, iov_base the bytes expected
// back ("" unchecked), and msg_control, when written, gives room for descriptors (as many as
// SCM_MAX_FD) and cmsg_data the descriptors expected; without it the program gave no room,
// and files in flight with the bytes are dropped (MSG_CTRUNC), as the kernel does.
import type { Arg, Field } from "./ast.js";

export interface Msg {
  /** The bytes of the iovecs (sendmsg: each iov_base cut to its iov_len; recvmsg: as written). */
  data: string;
  /** The room of the iovecs (the sum of iov_len). */
  size: number;
  /** cmsg_data of the SCM_RIGHTS message, or null when msg_control is left out. */
  fds: number[] | null;
}

const MSG_FIELDS = new Set(["msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags"]);
const NUM_FIELDS = new Set(["msg_namelen", "msg_iovlen", "msg_controllen", "cmsg_len", "iov_len"]);

/** A problem with a msghdr, or null. `send`: sendmsg's (iov_len within its iov_base). */
export function checkMsg(a: Arg, send: boolean): string | null {
  if (a.k !== "struct") return "a message is strace's {msg_iov=[...], msg_control=[...]}";
  for (const f of a.v) {
    if (!MSG_FIELDS.has(f.key)) return `unknown msghdr field ${f.key}`;
    const why = checkField(f, send);
    if (why !== null) return why;
  }
  return null;
}

function isNum(a: Arg): boolean {
  return a.k === "num";
}

function checkField(f: Field, send: boolean): string | null {
  const a = f.v;
  if (NUM_FIELDS.has(f.key)) return isNum(a) ? null : `${f.key} is a number`;
  switch (f.key) {
    case "msg_name":
      return a.k === "sym" && a.v.length === 1 && a.v[0] === "NULL" ? null : "msg_name is NULL (socketpairs have no addresses)";
    case "msg_flags":
      return a.k === "num" || a.k === "sym" ? null : "msg_flags is a number or MSG_ flags";
    case "msg_iov": {
      if (a.k !== "arr") return "msg_iov is an array of {iov_base=\"...\", iov_len=N}";
      for (const io of a.v) {
        if (io.k !== "struct") return "an iovec is {iov_base=\"...\", iov_len=N}";
        const base = io.v.find((x) => x.key === "iov_base")?.v;
        const len = io.v.find((x) => x.key === "iov_len")?.v;
        if (io.v.some((x) => x.key !== "iov_base" && x.key !== "iov_len")) return "an iovec has iov_base and iov_len only";
        if (base === undefined || base.k !== "str") return "iov_base is a string";
        if (len === undefined || len.k !== "num" || len.v < 0) return "iov_len is a count";
        if (send && len.v > base.v.length) return `the buffer holds ${base.v.length} bytes, fewer than iov_len`;
      }
      return null;
    }
    case "msg_control": {
      if (a.k !== "arr") return "msg_control is an array of {cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[...]}";
      if (a.v.length > 1) return "one control message (SCM_RIGHTS) at most";
      for (const c of a.v) {
        if (c.k !== "struct") return "a control message is {cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[...]}";
        for (const x of c.v) {
          if (x.key === "cmsg_len") { if (!isNum(x.v)) return "cmsg_len is a number"; continue; }
          const sym = x.v.k === "sym" && x.v.v.length === 1 ? x.v.v[0] : null;
          if (x.key === "cmsg_level") { if (sym !== "SOL_SOCKET") return "cmsg_level is SOL_SOCKET"; continue; }
          if (x.key === "cmsg_type") { if (sym !== "SCM_RIGHTS") return "cmsg_type is SCM_RIGHTS (the only one modelled)"; continue; }
          if (x.key === "cmsg_data") {
            if (x.v.k !== "arr" || x.v.v.some((d) => d.k !== "num")) return "cmsg_data is an array of descriptors: [3, 4]";
            if (x.v.v.some((d) => d.k === "num" && d.v >= 1000)) return "descriptors 1000 and up are reserved";
            continue;
          }
          return `unknown cmsghdr field ${x.key}`;
        }
        if (!c.v.some((x) => x.key === "cmsg_data")) return "a control message needs cmsg_data=[...]";
      }
      return null;
    }
  }
  return null;
}

/** The message a checked msghdr describes. */
export function readMsg(a: Arg | undefined, send: boolean): Msg {
  const out: Msg = { data: "", size: 0, fds: null };
  if (a === undefined || a.k !== "struct") return out;
  for (const f of a.v) {
    if (f.key === "msg_iov" && f.v.k === "arr") {
      for (const io of f.v.v) {
        if (io.k !== "struct") continue;
        const base = io.v.find((x) => x.key === "iov_base")?.v;
        const len = io.v.find((x) => x.key === "iov_len")?.v;
        const bytes = base?.k === "str" ? base.v : "";
        const n = len?.k === "num" ? len.v : 0;
        out.data += send ? bytes.slice(0, n) : bytes;
        out.size += n;
      }
    }
    if (f.key === "msg_control" && f.v.k === "arr") {
      out.fds = [];
      for (const c of f.v.v) {
        if (c.k !== "struct") continue;
        const d = c.v.find((x) => x.key === "cmsg_data")?.v;
        if (d?.k === "arr") for (const x of d.v) if (x.k === "num") out.fds.push(x.v);
      }
    }
  }
  return out;
}

/** `[3, 4]`: socketpair's descriptors as written. */
export function fdPair(a: Arg | undefined): number[] {
  return a?.k === "arr" ? a.v.map((x) => (x.k === "num" ? x.v : -1)) : [];
}

/**
 * What a call's output parameters should hold, and what they hold: a read's bytes,
 * socketpair's descriptors, recvmsg's bytes and descriptors. Undefined: nothing to check.
 */
export function outCheck(name: string, args: Arg[], data: string, fds: readonly number[]): { want: string; got: string } | undefined {
  if (name === "read" || name === "pread" || name === "pread64") {
    const b = args[1];
    return b?.k === "str" ? { want: b.v, got: data } : undefined;
  }
  if (name === "socketpair") return { want: `[${fdPair(args[3]).join(", ")}]`, got: `[${fds.join(", ")}]` };
  if (name === "recvmsg") {
    const m = readMsg(args[1], false);
    const part = (bytes: string, got: readonly number[]) =>
      (m.data === "" ? "" : JSON.stringify(bytes)) + (m.fds === null ? "" : ` cmsg_data=[${got.join(", ")}]`);
    return { want: part(m.data, m.fds ?? []), got: part(data, fds) };
  }
  return undefined;
}
