/** THE description of RV32IMAC + Zicsr + Zifencei: fields and immediates, the opcode table and semantics, the RVC expansion. */
export * from './fields.js';
export * from './ops.js';
export * from './compressed.js';
