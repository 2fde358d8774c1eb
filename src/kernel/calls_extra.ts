// Calls no kernel has, or that today's kernel has outside fs/locks.c: RDMA verbs,
// io_uring fixed buffers, and the admin views (lsof, the rdma tool).
import type { KState, Proc } from "./include/state.js";
import { FK_UVERBS } from "./include/state.js";
import { EINVAL, ENOENT } from "./include/errno.js";
import type { SysArg, SysResult } from "./entry.js";
import { ibvAllocPd, ibvDeallocPd, ibvRegMr, ibvDeregMr } from "./rdma/verbs.js";
import { ioUringSetup, ioUringRegisterBuffers, ioUringUnregisterBuffers, ioUringRwFixed } from "./io_uring/rsrc.js";
import { lsofLines, rdmaLines } from "./fs/proc.js";
import { fget } from "./fs/file.js";
import { EBADF } from "./include/errno.js";

const n = (a: SysArg | undefined): number => (typeof a === "number" ? a : 0);
const str = (a: SysArg | undefined): string => (typeof a === "string" ? a : "");

export function extraCall(s: KState, p: Proc, name: string, a: SysArg[], close: (fd: number) => number): SysResult {
  switch (name) {
    case "ibv_alloc_pd": return { ret: ibvAllocPd(s, p, n(a[0])) };
    case "ibv_dealloc_pd": return { ret: ibvDeallocPd(s, n(a[0])) };
    case "ibv_reg_mr": return { ret: ibvRegMr(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3])) };
    case "ibv_dereg_mr": return { ret: ibvDeregMr(s, n(a[0])) };
    case "ibv_close_device": {
      const f = fget(s, p, n(a[0]));
      if (f === null) return { ret: -EBADF };
      return { ret: f.kind === FK_UVERBS ? close(n(a[0])) : -EINVAL };
    }
    case "io_uring_setup": return { ret: ioUringSetup(s, p, n(a[0])) };
    case "io_uring_register_buffers": return { ret: ioUringRegisterBuffers(s, p, n(a[0]), n(a[1]), n(a[2])) };
    case "io_uring_unregister_buffers": return { ret: ioUringUnregisterBuffers(s, p, n(a[0])) };
    case "io_uring_read_fixed": case "io_uring_write_fixed":
      return { ret: ioUringRwFixed(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4]), name === "io_uring_write_fixed") };
    case "lsof": return { ret: 0, lines: lsofLines(s, str(a[0])) };
    case "rdma": {
      const lines = rdmaLines(s, str(a[0]));
      return lines === null ? { ret: -ENOENT } : { ret: 0, lines };
    }
  }
  return { ret: -EINVAL };
}
