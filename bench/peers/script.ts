// The daxlease script of the canonical case that bench/peers/rdma_truncate.pml models for SPIN:
// the same processes and steps (see that file's header), for F pages and `apps` RDMA apps
// sharing one file on a DAX mount, under rfc-v1.

export const PAGE = 4096;

export function peerScript(F: number, apps: number): string {
  const len = F * PAGE;
  const out = [
    `# The canonical case for ${apps} RDMA app${apps > 1 ? "s" : ""} and ${F} pages, as bench/peers/rdma_truncate.pml has it for SPIN.`,
    `@scenario peers-f${F}-apps${apps}`,
    `@policy rfc-v1`,
    `@fs /mnt/pmem type=xfs dax=always size=1M`,
    `@file /mnt/pmem/a size=${len} uid=1000`,
    `@file /mnt/pmem/b size=0 uid=1002`,
  ];
  for (let i = 1; i <= apps; i++) out.push(`@proc A${i} uid=1000`);
  out.push(`@proc B uid=1000`, `@proc C uid=1002`, `@proc ADMIN uid=0`);
  for (let i = 1; i <= apps; i++) {
    const A = `A${i}`;
    out.push(
      `${A}: open("/mnt/pmem/a", O_RDWR) = 3`,
      `${A}: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`,
      `${A}: mmap(NULL, ${len}, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf${i}`,
      `${A}: open("/dev/infiniband/uverbs0", O_RDWR) = 4`,
      `${A}: ibv_alloc_pd(4) = $pd${i}`,
      `${A}: ibv_reg_mr($pd${i}, $buf${i}, ${len}, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr${i}`,
      `${A}?: close(3) = 0`,
      `${A}?: munmap($buf${i}, ${len}) = 0`,
      `@on ${A}? SIGIO: ibv_dereg_mr($mr${i}); fcntl(3, F_SETLEASE, F_UNLCK)`,
      `@any NIC: rdma_write($mr${i}, 0, "dma") max=1`,
      `@any ADMIN: kill(${A}, SIGKILL)`,
    );
  }
  out.push(
    `B: truncate("/mnt/pmem/a", 0) = -1 ETXTBSY`,
    `B: truncate("/mnt/pmem/a", 0) = -1 ETXTBSY`,
    `C: open("/mnt/pmem/b", O_RDWR) = 3`,
    `C: write(3, "secret", 6) = 6`,
  );
  return out.join("\n") + "\n";
}
