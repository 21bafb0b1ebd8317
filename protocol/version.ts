/** The wire protocol version. Bump on any incompatible change; peers refuse a mismatch clearly. */
export const PROTOCOL_VERSION = 1;
