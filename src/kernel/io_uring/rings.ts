// The geometry of an io_uring's rings (io_uring/io_uring.c rings_size, io_uring_mmap).
import { PAGE_SIZE } from "../include/uapi.js";

/**
 * The pages of a ring region (io_uring_mmap, by IORING_OFF_* region): the SQ and CQ rings
 * share one (struct io_rings, the CQEs, then the SQ index array: rings_size), the SQEs have
 * their own. A mapping may be longer; its pages past the region are not there (EFAULT to GUP).
 */
export function ringRegionPages(sq: number, region: number): number {
  const bytes = region < 2 ? 64 + 2 * sq * 16 + sq * 4 : sq * 64;
  return Math.ceil(bytes / PAGE_SIZE);
}
