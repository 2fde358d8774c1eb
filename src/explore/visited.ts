// The visited set: every state the search has reached, by identity, with its node number.
// Hash compaction (SPIN's -DHC): a state is known by its 64-bit hash, so two states can be
// taken for one with a probability the search prints; or exact: by its full canonical key.

/** Finds or adds a state's identity; returns the node of an earlier equal state, or -1 after adding `node`. */
export interface Visited {
  readonly exact: boolean;
  readonly size: number;
  /** Bytes held per state, for the memory figures. */
  bytesPerState(): number;
}

/** 64-bit keys in open addressing: two Uint32Arrays and the node numbers, doubled at half load. */
export class HashVisited implements Visited {
  readonly exact = false;
  private hi: Uint32Array;
  private lo: Uint32Array;
  private node: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacityLog2 = 16) {
    const cap = 1 << capacityLog2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.node = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  /** The node of the state whose hash is (a, b), or -1 after recording `node` for it. */
  findOrAdd(a: number, b: number, node: number): number {
    if (this.size * 2 >= this.node.length) this.grow();
    let i = (Math.imul(a ^ (b >>> 7), 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const n = this.node[i]!;
      if (n < 0) {
        this.hi[i] = a; this.lo[i] = b; this.node[i] = node;
        this.size++;
        return -1;
      }
      if (this.hi[i] === a && this.lo[i] === b) return n;
      i = (i + 1) & this.mask;
    }
  }

  has(a: number, b: number): boolean {
    return this.get(a, b) >= 0;
  }

  /** The node recorded for hash (a, b), or -1. */
  get(a: number, b: number): number {
    let i = (Math.imul(a ^ (b >>> 7), 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const n = this.node[i]!;
      if (n < 0) return -1;
      if (this.hi[i] === a && this.lo[i] === b) return n;
      i = (i + 1) & this.mask;
    }
  }

  private grow() {
    const { hi, lo, node } = this;
    const cap = node.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.node = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < node.length; i++) if (node[i]! >= 0) this.findOrAdd(hi[i]!, lo[i]!, node[i]!);
  }

  bytesPerState(): number {
    return (this.node.length * 12) / Math.max(1, this.size);
  }

  /**
   * The probability that two of the n stored states share a hash, so that one of them was
   * never explored: about n^2 / 2^65 for a 64-bit hash (the birthday bound).
   */
  static missProbability(n: number): number {
    return Math.min(1, (n * n) / 2 ** 65);
  }
}

/** Exact keys (the state's packed canonical values): no state is ever taken for another. */
export class ExactVisited implements Visited {
  readonly exact = true;
  private map = new Map<string, number>();
  private chars = 0;

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): number {
    return this.map.get(key) ?? -1;
  }

  findOrAdd(key: string, node: number): number {
    const n = this.map.get(key);
    if (n !== undefined) return n;
    this.map.set(key, node);
    this.chars += key.length;
    return -1;
  }

  bytesPerState(): number {
    return 2 * this.chars / Math.max(1, this.map.size) + 50;
  }
}
