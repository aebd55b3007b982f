// TEMP
export function amoValue(f5: number, old: number, b: number): number {
  switch (f5) {
    case 0: return (old + b) | 0;
    case 1: return b;
    case 4: return old ^ b;
    case 8: return old | b;
    case 12: return old & b;
    case 16: return old < b ? old : b;
    case 20: return old > b ? old : b;
    case 24: return old >>> 0 < b >>> 0 ? old : b;
    default: return old >>> 0 > b >>> 0 ? old : b;
  }
}
