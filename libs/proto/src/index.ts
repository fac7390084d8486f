// @ftune/proto — Code generated from proto/ by buf and ts-proto. Never edited by hand.
export const PROTO_PLACEHOLDER = 1;
